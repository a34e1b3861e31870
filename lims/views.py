from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect


@login_required
def home(request):
    """The lot list is where everybody's work starts."""
    return redirect("lot_list")
