"""The Celery app is configured for reliability; these are the settings that make a killed
worker's task run again and a slow task not run twice."""

from django.conf import settings

from lims.celery import app


def test_tasks_are_acknowledged_late_and_redelivered_when_a_worker_dies():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1


def test_time_limits_stay_below_the_visibility_timeout():
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit < settings.CELERY_VISIBILITY_TIMEOUT
    if settings.REDIS_URL:
        assert app.conf.broker_transport_options["visibility_timeout"] == settings.CELERY_VISIBILITY_TIMEOUT


def test_the_four_queues_exist_and_unknown_queues_are_not_created():
    assert [q.name for q in app.conf.task_queues] == ["default", "imports", "pdf", "custody"]
    assert app.conf.task_default_queue == "default"
    assert app.conf.task_create_missing_queues is False


def test_worker_memory_is_bounded_and_only_json_is_accepted():
    assert app.conf.worker_max_memory_per_child > 0
    assert app.conf.accept_content == ["json"]


def test_the_nightly_custody_check_is_scheduled():
    entry = app.conf.beat_schedule["verify-custody-chains"]
    assert entry["task"] == "samples.tasks.custody_verify_all"
    # At a fixed local time (LIMS_CUSTODY_CHECK_AT, 02:30 by default, in the laboratory's zone).
    assert entry["schedule"].hour == {settings.LIMS_CUSTODY_CHECK_AT[0]}
    assert entry["schedule"].minute == {settings.LIMS_CUSTODY_CHECK_AT[1]}
    assert settings.LIMS_CUSTODY_CHECK_AT == (2, 30)
    assert app.conf.timezone == settings.TIME_ZONE
    app.loader.import_default_modules()
    assert entry["task"] in app.tasks


def test_each_workload_is_routed_to_its_queue():
    # Routed by the app's configuration: the task attribute `queue` is deprecated in Celery.
    router = app.amqp.router
    assert router.route({}, "certificates.tasks.issue_certificate")["queue"].name == "pdf"
    assert router.route({}, "assays.tasks.import_run_file")["queue"].name == "imports"
    # The nightly custody check is long at scale: on a queue of its own, it never holds up certificates.
    assert router.route({}, "samples.tasks.custody_verify_all")["queue"].name == "custody"
