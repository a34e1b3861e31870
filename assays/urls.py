from django.urls import path

from assays import control_views, views

urlpatterns = [
    path("runs/", views.run_list, name="run_list"),
    path("runs/import/", views.run_upload, name="run_upload"),
    path("runs/<int:run_pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:run_pk>/accept/", views.run_accept, name="run_accept"),
    path("runs/<int:run_pk>/discard/", views.run_discard, name="run_discard"),
    path("runs/<int:run_pk>/override-qc/", views.run_override, name="run_override"),
    path("runs/<int:run_pk>/withdraw/", views.run_withdraw, name="run_withdraw"),
    path("runs/<int:run_pk>/choose/", views.run_choose, name="run_choose"),
    path("runs/formats/generic/", views.generic_csv_format, name="generic_csv_format"),
    path("results/", views.result_list, name="result_list"),
    path("results/review/", views.result_review, name="result_review"),
    path("results/review/all/", views.result_review_bulk, name="result_review_bulk"),
    path("results/enter/", views.result_enter, name="result_enter"),
    path("results/<int:result_pk>/decide/", views.result_decide, name="result_decide"),
    path("samples/<str:code>/results/", views.sample_results, name="sample_results"),
    path("qc/charts/", control_views.chart_index, name="chart_index"),
    path("qc/precision/<str:method>/<str:symbol>/", control_views.precision_detail, name="chart_precision"),
    path(
        "qc/charts/crm/<int:crm_pk>/<str:method>/<str:symbol>/",
        control_views.chart_detail,
        {"kind": "crm"},
        name="chart_crm",
    ),
    path(
        "qc/charts/crm/<int:crm_pk>/<str:method>/<str:symbol>/baseline/",
        control_views.chart_baseline,
        {"kind": "crm"},
        name="chart_crm_baseline",
    ),
    path(
        "qc/charts/blank/<str:method>/<str:symbol>/", control_views.chart_detail, {"kind": "blank"}, name="chart_blank"
    ),
    path(
        "qc/charts/blank/<str:method>/<str:symbol>/baseline/",
        control_views.chart_baseline,
        {"kind": "blank"},
        name="chart_blank_baseline",
    ),
]
