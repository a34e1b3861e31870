from django.urls import path

from customs import api

urlpatterns = [
    path("declarations/", api.DeclarationListApi.as_view(), name="api_declaration_list"),
    path("declarations/<int:declaration_pk>/", api.DeclarationDetailApi.as_view(), name="api_declaration_detail"),
    path(
        "declarations/<int:declaration_pk>/decide/", api.DeclarationDecideApi.as_view(), name="api_declaration_decide"
    ),
    path(
        "declarations/<int:declaration_pk>/recheck/",
        api.DeclarationRecheckApi.as_view(),
        name="api_declaration_recheck",
    ),
    path("metal-prices/", api.MetalPriceListApi.as_view(), name="api_metal_price_list"),
    path("metal-prices/<int:ref_pk>/", api.MetalPriceDetailApi.as_view(), name="api_metal_price_detail"),
    path("payable-terms/", api.PayableTermListApi.as_view(), name="api_payable_term_list"),
    path("payable-terms/<int:ref_pk>/", api.PayableTermDetailApi.as_view(), name="api_payable_term_detail"),
    path("exchange-rates/", api.ExchangeRateListApi.as_view(), name="api_exchange_rate_list"),
    path("exchange-rates/<int:ref_pk>/", api.ExchangeRateDetailApi.as_view(), name="api_exchange_rate_detail"),
]
