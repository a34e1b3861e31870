from django.urls import path

from customs import views

urlpatterns = [
    path("declarations/", views.declaration_list, name="declaration_list"),
    path("declarations/new/", views.declaration_create, name="declaration_create"),
    path("declarations/queue/", views.declaration_queue, name="declaration_queue"),
    path("declarations/<int:declaration_pk>/", views.declaration_detail, name="declaration_detail"),
    path("declarations/<int:declaration_pk>/review/", views.declaration_review, name="declaration_review"),
    path("declarations/<int:declaration_pk>/recheck/", views.declaration_recheck, name="declaration_recheck"),
]
