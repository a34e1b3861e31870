"""Sign-in and account pages (Django's auth views with our templates) and the home page."""

from django.contrib.auth import views as auth_views
from django.urls import path

from lims import languages, notification_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("health/ready", views.health_ready, name="health_ready"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Django's set_language (the cookie), and the signed-in person's profile (lims.languages).
    path("i18n/setlang/", languages.language_set, name="set_language"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("notifications/", notification_views.notification_list, name="notification_list"),
    path("notifications/read/", notification_views.notification_read_all, name="notification_read_all"),
    path("notifications/<int:notification_pk>/read/", notification_views.notification_read, name="notification_read"),
    path("notifications/settings/", notification_views.notification_settings, name="notification_settings"),
]
