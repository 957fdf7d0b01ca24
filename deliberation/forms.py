"""Forms for the pages (Flask-WTF, with CSRF protection)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from deliberation.accounts import MIN_PASSWORD_LENGTH
from deliberation.enums import AgeBand, Language
from deliberation.labels import AGE_BAND_NAMES


def age_band_choices() -> list[tuple[str, str]]:
    return [("", _l("Prefer not to say"))] + [(band.value, AGE_BAND_NAMES[band]) for band in AgeBand]


def language_choices() -> list[tuple[str, str]]:
    return [(Language.ZH_CN.value, "中文"), (Language.EN.value, "English")]


AGE_BAND_CONSENT = _l(
    "I agree that my age band is kept, only to show how each age group took part. "
    "I can withdraw this at any time on my profile, and the age band is then deleted."
)


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class SignupForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)]
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    age_band = SelectField(_l("Age band (optional)"), choices=age_band_choices, validators=[Optional()])
    age_band_consent = BooleanField(AGE_BAND_CONSENT)
    guardian_name = StringField(
        _l("Under 14: the name of your parent or guardian, who agrees that you take part"),
        validators=[Optional(), Length(max=80)],
    )
    language = SelectField(_l("Language"), choices=language_choices)


class ProfileForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)])
    age_band = SelectField(_l("Age band (optional)"), choices=age_band_choices, validators=[Optional()])
    age_band_consent = BooleanField(AGE_BAND_CONSENT)
    language = SelectField(_l("Language"), choices=language_choices)
    large_text = BooleanField(_l("Elder mode: large text, large buttons and cursor, read-aloud"))
    high_contrast = BooleanField(_l("High contrast"))


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(
        _l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)]
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The passwords differ."))],
    )


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Your password, to confirm"), validators=[DataRequired()])
