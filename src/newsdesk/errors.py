"""Every error newsdesk raises, in one hierarchy.

    NewsdeskError
    ├── ConfigError          a setting or option has a value we cannot use
    ├── ModelError           a language model failed or answered garbage
    ├── TopicBusy            the topic is running now in another process
    ├── OutputError          a digest file cannot be written (full disk, no permission)
    ├── DeliveryError        an alert channel refused or did not answer (retried)
    ├── StoreError           the database cannot be opened, migrated or written
    │   ├── NotFound         no stored object has that id
    │   └── StoreFull        the disk (or the database's size limit) is full
    ├── Overloaded           the server is full, past a request's deadline, or closing
    └── InputError           one input item is unusable; the batch goes on
        ├── DecodeError      bytes that no charset we tried can decode
        ├── EmptyDocument    nothing left after extraction and cleaning
        ├── MalformedRecord  a JSONL line that is not a usable JSON object
        ├── FetchError       an HTTP request that failed after its retries
        ├── Refused          a link or redirect the URL policy does not allow
        └── OverBudget       an item over a size, time or depth limit

User-facing errors name the input (`where`) and say what to do about it.
"""

from __future__ import annotations


class NewsdeskError(Exception):
    """Base class of every newsdesk error."""


class ConfigError(NewsdeskError):
    """A setting or option has a value that cannot be used."""


class ModelError(NewsdeskError):
    """A language model failed, timed out or answered something unusable."""


class TopicBusy(NewsdeskError):
    """Another process (or thread) is running this topic now."""


class OutputError(NewsdeskError):
    """An output file cannot be written: a full disk, a missing permission."""


class DeliveryError(NewsdeskError):
    """An alert channel refused an alert or did not answer; the outbox retries it."""


class StoreError(NewsdeskError):
    """The store cannot be opened, migrated or written."""


class Overloaded(NewsdeskError):
    """The server cannot do this request now: full, past its deadline, or shutting down."""

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NotFound(StoreError):
    """No stored object matches the given id."""


class StoreFull(StoreError):
    """A write failed because the disk or the database's size limit is full."""


class InputError(NewsdeskError):
    """One input item cannot be ingested; the rest of the batch goes on."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


class DecodeError(InputError):
    """The bytes of a page or file cannot be decoded as text."""


class EmptyDocument(InputError):
    """Extraction and cleaning left no paragraph of text."""


class MalformedRecord(InputError):
    """A JSONL line is not a JSON object with the fields we need."""


class FetchError(InputError):
    """An HTTP request failed after its retries."""


class Refused(InputError):
    """The URL policy does not allow opening this link or redirect target."""


class OverBudget(InputError):
    """An item is over the resource budget (bytes, seconds, paragraphs or depth)."""
