from django.urls import path

from desk import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("search/", views.search, name="search"),
    path("reports/turnaround/", views.turnaround, name="turnaround"),
]
