"""Web pages of batches: the list, building one, its worksheet (printable), its sequence file for the
instrument's software, cancelling it and importing its run. The laboratory's staff only: exporters and
inspectors see none (a batch is a plan of the bench, not a record they audit).

As every app's pages (lims.web): reads through assays.batch_selectors, writes through one service each,
a refusal shown next to the field it names with its 4xx status.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from assays import batch_selectors, lists, sequences
from assays.batch_forms import BatchForm, BatchRunForm
from assays.batch_models import Batch
from assays.services import batches, run_upload
from lims import permissions
from lims.exceptions import ApplicationError
from lims.forms import ReasonForm
from lims.web import flash_and_redirect, list_page, post_data, require, submit


def require_lab(user) -> None:
    if not permissions.works_in_lab(user):
        raise PermissionDenied


@login_required
def batch_list(request):
    require_lab(request.user)
    return list_page(
        request, "assays/batch_list.html", batch_selectors.BatchFilter, batch_selectors.batch_list(request.user),
        listing=lists.BATCHES, context={"can_create": permissions.can(request.user, "batch.create")},
    )  # fmt: skip


@login_required
def batch_create(request):
    require(request.user, "batch.create")
    form = BatchForm(post_data(request))

    def build(data):
        return batches.batch_create(
            actor=request.user, method=data["method"], instrument=data["instrument"], codes=data["samples"]
        )

    def done(batch):
        message = _("%(batch)s is planned: %(count)d positions. Print the worksheet and export the sequence.") % {
            "batch": batch,
            "count": batch.positions.count(),
        }
        return flash_and_redirect(request, message, "batch_detail", batch_pk=batch.pk)

    return submit(request, form, build, done=done, template="assays/batch_create.html", context={"form": form})


def _detail(request, batch: Batch, **sent) -> dict:
    return {
        "batch": batch,
        "positions": batch_selectors.batch_positions(batch),
        "runs": batch_selectors.batch_runs(batch),
        "layouts": sequences.LAYOUTS,
        "can_cancel": Batch.LIFECYCLE.allows(batch, "cancel") and permissions.can(request.user, "batch.cancel", batch),
        "can_import": Batch.LIFECYCLE.allows(batch, "start") and permissions.can(request.user, "run.import"),
        "cancel_form": ReasonForm(),
        **sent,
    }


@login_required
def batch_detail(request, batch_pk):
    """The worksheet: every position, printable (static/assays/worksheet.css)."""
    require_lab(request.user)
    batch = batch_selectors.batch_get(request.user, batch_pk)
    return render(request, "assays/batch_detail.html", _detail(request, batch))


@login_required
def batch_sequence(request, batch_pk, vendor):
    require_lab(request.user)
    batch = batch_selectors.batch_get(request.user, batch_pk)
    try:
        file = sequences.sequence_file(batch, batch_selectors.batch_positions(batch), vendor)
    except ApplicationError as exc:
        return HttpResponse(exc.message, status=exc.status_code, content_type="text/plain; charset=utf-8")
    response = HttpResponse(file.data, content_type=file.content_type)
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    return response


@login_required
def batch_cancel(request, batch_pk):
    batch = batch_selectors.batch_get(request.user, batch_pk)
    require(request.user, "batch.cancel", batch)
    if request.method != "POST":
        return redirect("batch_detail", batch_pk=batch.pk)
    form = ReasonForm(request.POST)
    return submit(
        request, form, lambda data: batches.batch_cancel(actor=request.user, batch=batch, reason=data["reason"]),
        done=lambda cancelled: flash_and_redirect(
            request, _("%(batch)s is cancelled.") % {"batch": cancelled}, "batch_detail", batch_pk=cancelled.pk
        ),
        template="assays/batch_detail.html", context=lambda: _detail(request, batch, cancel_form=form),
    )  # fmt: skip


@login_required
def batch_run_upload(request, batch_pk):
    """Import the batch's run: the upload page of runs, with the batch's method and instrument."""
    batch = batch_selectors.batch_get(request.user, batch_pk)
    require(request.user, "run.import")
    form = BatchRunForm(post_data(request), request.FILES or None, max_bytes=settings.LIMS_IMPORT_MAX_BYTES)

    def upload(data):
        return run_upload(
            actor=request.user, data=data["file"].read(), filename=data["file"].name,
            instrument=batch.instrument, method=batch.method, format=data["format"] or None,
            prep_mass_g=data["prep_mass_g"], prep_volume_ml=data["prep_volume_ml"], ccv_nominal=data["ccv_nominal"],
            batch=batch,
        )  # fmt: skip

    def done(run):
        message = _("Run %(run)s of %(batch)s is uploaded and being imported.") % {"run": run.pk, "batch": batch}
        return flash_and_redirect(request, message, "run_detail", run_pk=run.pk)

    return submit(
        request,
        form,
        upload,
        done=done,
        template="assays/batch_run_upload.html",
        context={"form": form, "batch": batch},
    )
