"""GOV.UK Notify's settings: off unless an API key is set, and refused when they cannot work."""

from __future__ import annotations

from uuid import uuid4

import pytest

from placements.settings import NOTIFY_URL, SettingsError, settings_from_env

KEY = f"council_live-{uuid4()}-{uuid4()}"
TEMPLATE = str(uuid4())


def test_notify_is_off_unless_an_api_key_is_set():
    settings = settings_from_env({})
    settings.check()
    assert not settings.notify.configured and settings.notify.base_url == NOTIFY_URL


def test_a_complete_notify_set_up_is_read_from_the_environment():
    sms = str(uuid4())
    settings = settings_from_env(
        {
            "NOTIFY_API_KEY": KEY,
            "NOTIFY_BASE_URL": "http://127.0.0.1:9999/",
            "NOTIFY_EMAIL_TEMPLATE_ID": TEMPLATE.upper(),
            "NOTIFY_SMS_TEMPLATE_ID": sms,
        }
    )
    settings.check()
    notify = settings.notify
    assert notify.configured and notify.api_key == KEY and notify.base_url == "http://127.0.0.1:9999"
    assert notify.email_template_id == TEMPLATE and notify.sms_template_id == sms


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"NOTIFY_API_KEY": KEY}, "NOTIFY_EMAIL_TEMPLATE_ID is not"),
        ({"NOTIFY_API_KEY": "just-a-secret", "NOTIFY_EMAIL_TEMPLATE_ID": TEMPLATE}, "the whole key"),
        ({"NOTIFY_API_KEY": KEY, "NOTIFY_EMAIL_TEMPLATE_ID": "welcome"}, "NOTIFY_EMAIL_TEMPLATE_ID must be"),
        (
            {"NOTIFY_API_KEY": KEY, "NOTIFY_EMAIL_TEMPLATE_ID": TEMPLATE, "NOTIFY_SMS_TEMPLATE_ID": "text"},
            "NOTIFY_SMS_TEMPLATE_ID must be",
        ),
    ],
)
def test_settings_notify_cannot_work_with_are_refused(env, says):
    with pytest.raises(SettingsError, match=says):
        settings_from_env(env).check()
