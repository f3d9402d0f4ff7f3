"""A mail backend for the tests of "sent once": like locmem, but the mail server refuses the
messages whose numbers (counted from 1 since the last reset) are in `refuse`."""

from __future__ import annotations

from smtplib import SMTPRecipientsRefused

from django.core.mail.backends.locmem import EmailBackend


class RefusingBackend(EmailBackend):
    refuse: set[int] = set()
    attempts: int = 0

    @classmethod
    def reset(cls, *, refuse: set[int]) -> None:
        cls.refuse, cls.attempts = set(refuse), 0

    def send_messages(self, messages):
        sent = 0
        for message in messages:
            type(self).attempts += 1
            if type(self).attempts in self.refuse:
                raise SMTPRecipientsRefused(dict.fromkeys(message.to, (550, b"refused")))
            sent += super().send_messages([message])
        return sent
