from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("lims.web_urls")),
    path("", include("samples.urls")),
    path("", include("assays.urls")),
    path("api/v1/", include("lims.api_urls")),
    path("api/v1/", include("samples.api_urls")),
    path("api/v1/", include("assays.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),
    path("admin/", admin.site.urls),
]
