from django.urls import path

from public import views

urlpatterns = [
    path("statistics/", views.statistics_page, name="statistics"),
    path("statistics/publications/<int:number>.json", views.publication_document, name="statistics_document"),
    path("statistics/publications/<int:number>.txt", views.publication_note, name="statistics_signed_note"),
]
