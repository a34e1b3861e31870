from django.urls import path

from assays import api, control_api

urlpatterns = [
    path("analytes/", api.AnalyteListApi.as_view(), name="api_analyte_list"),
    path("analytes/<int:ref_pk>/", api.AnalyteDetailApi.as_view(), name="api_analyte_detail"),
    path("methods/", api.MethodListApi.as_view(), name="api_method_list"),
    path("methods/<int:ref_pk>/", api.MethodDetailApi.as_view(), name="api_method_detail"),
    path("method-performance/", api.MethodAnalyteListApi.as_view(), name="api_method_performance_list"),
    path(
        "method-performance/<int:ref_pk>/", api.MethodAnalyteDetailApi.as_view(), name="api_method_performance_detail"
    ),
    path("instruments/", api.InstrumentListApi.as_view(), name="api_instrument_list"),
    path("instruments/<int:ref_pk>/", api.InstrumentDetailApi.as_view(), name="api_instrument_detail"),
    path("reference-materials/", api.ReferenceMaterialListApi.as_view(), name="api_crm_list"),
    path("reference-materials/<int:ref_pk>/", api.ReferenceMaterialDetailApi.as_view(), name="api_crm_detail"),
    path("certified-values/", api.CertifiedValueListApi.as_view(), name="api_certified_value_list"),
    path("certified-values/<int:ref_pk>/", api.CertifiedValueDetailApi.as_view(), name="api_certified_value_detail"),
    path("panels/", api.PanelListApi.as_view(), name="api_panel_list"),
    path("panel-entries/", api.PanelEntryListApi.as_view(), name="api_panel_entry_list"),
    path("panel-entries/<int:ref_pk>/", api.PanelEntryDetailApi.as_view(), name="api_panel_entry_detail"),
    path("runs/", api.RunListApi.as_view(), name="api_run_list"),
    path("runs/<int:run_pk>/", api.RunDetailApi.as_view(), name="api_run_detail"),
    path("runs/<int:run_pk>/readings/", api.RunReadingsApi.as_view(), name="api_run_readings"),
    path("runs/<int:run_pk>/accept/", api.RunAcceptApi.as_view(), name="api_run_accept"),
    path("runs/<int:run_pk>/discard/", api.RunDiscardApi.as_view(), name="api_run_discard"),
    path("runs/<int:run_pk>/override-qc/", api.RunOverrideQCApi.as_view(), name="api_run_override_qc"),
    path("runs/<int:run_pk>/withdraw/", api.RunWithdrawApi.as_view(), name="api_run_withdraw"),
    path("runs/<int:run_pk>/choose/", api.RunChooseApi.as_view(), name="api_run_choose"),
    path("results/", api.ResultListApi.as_view(), name="api_result_list"),
    path("results/manual/", api.ResultManualApi.as_view(), name="api_result_manual"),
    path("results/review/", api.ResultReviewApi.as_view(), name="api_result_review"),
    path("results/<int:result_pk>/", api.ResultDetailApi.as_view(), name="api_result_detail"),
    path("results/<int:result_pk>/approve/", api.ResultApproveApi.as_view(), name="api_result_approve"),
    path("results/<int:result_pk>/reject/", api.ResultRejectApi.as_view(), name="api_result_reject"),
    path("samples/<str:code>/results/", api.SampleResultsApi.as_view(), name="api_sample_results"),
    path("qc/charts/", control_api.ChartIndexApi.as_view(), name="api_chart_index"),
    path("qc/precision/<str:method>/<str:symbol>/", control_api.PrecisionApi.as_view(), name="api_chart_precision"),
    path(
        "qc/charts/crm/<int:crm_pk>/<str:method>/<str:symbol>/",
        control_api.ChartApi.as_view(),
        {"kind": "crm"},
        name="api_chart_crm",
    ),
    path(
        "qc/charts/crm/<int:crm_pk>/<str:method>/<str:symbol>/baseline/",
        control_api.ChartBaselineApi.as_view(),
        {"kind": "crm"},
        name="api_chart_crm_baseline",
    ),
    path(
        "qc/charts/blank/<str:method>/<str:symbol>/",
        control_api.ChartApi.as_view(),
        {"kind": "blank"},
        name="api_chart_blank",
    ),
    path(
        "qc/charts/blank/<str:method>/<str:symbol>/baseline/",
        control_api.ChartBaselineApi.as_view(),
        {"kind": "blank"},
        name="api_chart_blank_baseline",
    ),
]
