"""Validation that explains itself: checks a schema registry cannot make.

* field checks named in the schemas (``"check": "uscc"`` …): GB 32100-2015 credit codes,
  GB 11643 resident ID numbers, division codes, party ids, case keys, phones, hashes, media types;
* record and event rules: validity ranges, a legal basis on supervision actions, case keys of
  approval results, deemed consent…;
* personal data (fields with ``"pii": true``) never appears in full in a message.
"""

from __future__ import annotations

from sgbus.bus.validation.checks import FLOW_IDS, KNOWN_CHECKS
from sgbus.bus.validation.engine import EventValidationError, Issue, check_event, validate_event
from sgbus.bus.validation.masking import mask
from sgbus.bus.validation.pii import pii_paths, redact

__all__ = [
    "FLOW_IDS",
    "KNOWN_CHECKS",
    "EventValidationError",
    "Issue",
    "check_event",
    "mask",
    "pii_paths",
    "redact",
    "validate_event",
]
