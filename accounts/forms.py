"""The sign-up form: Django's (allowed characters, not taken in any case, password rules) and our
look-alike rules for the name (``accounts.usernames``)."""

from __future__ import annotations

from django.contrib.auth.forms import UserCreationForm
from django.core.exceptions import ValidationError

from .usernames import validate_new_username


class SignupForm(UserCreationForm):
    def clean_username(self):
        username = super().clean_username()
        if not username:
            return username
        try:  # Django's own rules (characters, length) first: their message says more
            self._meta.model._meta.get_field(self._meta.model.USERNAME_FIELD).run_validators(username)
        except ValidationError:
            return username  # reported by the model's validation, after this
        validate_new_username(username)
        return username
