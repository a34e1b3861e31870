from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect


@login_required
def home(request):
    """The lot list is where everybody's work starts."""
    return redirect("lot_list")


def healthz(request):
    """For load balancers and monitoring: the web process answers. It touches nothing (no session,
    no database), so it is also the floor the benchmarks measure the portal's views against."""
    return JsonResponse({"ok": True})
