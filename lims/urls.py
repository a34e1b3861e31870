from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from assays import batch_urls, preparation_urls
from certificates import verify_urls
from samples import portion_urls

urlpatterns = [
    # First: the public verification API is the busiest address, and resolves without walking the others.
    path("api/v1/verify/", include(verify_urls.api_urlpatterns)),
    path("", include("lims.web_urls")),
    path("", include("samples.urls")),
    path("", include("assays.urls")),
    path("", include(preparation_urls.urlpatterns)),
    path("", include(batch_urls.urlpatterns)),
    path("", include(portion_urls.urlpatterns)),
    path("", include("certificates.urls")),
    path("", include("customs.urls")),
    # The open statistics (public: no account) read certificates and customs.
    path("", include("public.urls")),
    # The desk (dashboard, search, reports) reads every app above, so it comes last (desk/__init__.py).
    path("", include("desk.urls")),
    # The public verification portal and its published keys (no account needed).
    path("", include(verify_urls.urlpatterns)),
    path("api/v1/", include("lims.api_urls")),
    path("api/v1/", include("samples.api_urls")),
    path("api/v1/", include("assays.api_urls")),
    path("api/v1/", include(preparation_urls.api_urlpatterns)),
    path("api/v1/", include(batch_urls.api_urlpatterns)),
    path("api/v1/", include(portion_urls.api_urlpatterns)),
    path("api/v1/", include("certificates.api_urls")),
    path("api/v1/", include("customs.api_urls")),
    # Customs information systems (clients with OAuth 2.0 client credentials, not people).
    path("api/v1/exchange/", include("exchange.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script from its own address: the CSP allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api_docs"),
    path("admin/", admin.site.urls),
]
