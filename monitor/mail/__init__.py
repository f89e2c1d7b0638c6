"""E-mail: safe headers and MIME messages (`headers`), delivery over SMTP or to an outbox (`transport`)."""
