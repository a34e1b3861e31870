"""The public verification portal: the page, the material published for offline checks (stable
addresses: inspectors' scripts and offline kits fetch them), and the JSON API.

lims.urls includes `urlpatterns` at the root and `api_urlpatterns` under api/v1/verify/."""

from django.urls import path

from certificates import verify_api, verify_views

urlpatterns = [
    path("verify/", verify_views.verify, name="verify"),
    path("verify/token/", verify_views.verify_token, name="verify_token"),
    path("verify/upload/", verify_views.verify_upload, name="verify_upload"),
    path("verify/keys/root.pem", verify_views.root_pem, name="verify_root_pem"),
    path("verify/keys/token-keys.json", verify_views.token_keys_json, name="verify_token_keys"),
    path("verify/keys/signing-keys.json", verify_views.signing_keys_json, name="verify_signing_keys"),
    path("verify/keys/keys.json", verify_views.key_set_json, name="verify_key_set"),
    path("verify/keys/<slug:kid>.pem", verify_views.signing_key_pem, name="verify_key_pem"),
    path("verify/revocations.json", verify_views.revocations_json, name="verify_revocations"),
    path("verify/kit/verifier.py", verify_views.verifier_py, name="verify_verifier"),
    path("verify/kit/witness.py", verify_views.witness_py, name="verify_witness"),
    path("verify/log/checkpoint", verify_views.log_checkpoint, name="verify_log_checkpoint"),
    path("verify/log/key", verify_views.log_key, name="verify_log_key"),
]

api_urlpatterns = [
    path("", verify_api.VerifyNumberQueryApi.as_view(), name="api_verify"),
    path("token/", verify_api.VerifyTokenApi.as_view(), name="api_verify_token"),
    path("upload/", verify_api.VerifyUploadApi.as_view(), name="api_verify_upload"),
    path("<str:number>/", verify_api.VerifyNumberApi.as_view(), name="api_verify_number"),
]
