"""The data model that every stage shares, re-exported from its modules.

- ``model.document``: documents, ingest reports, index entries, search hits.
- ``model.changes``: what changed between runs, the topic over time, alerts.
- ``model.run``: a topic run as the store keeps it.
- ``model.summary``: a brief: its claims, groups and verdicts.
- ``model.overview``: a digest's key developments.
- ``model.topic``: the topic file's schema, and the digest a run makes.
- ``model.wire``: the JSON form every ``to_dict`` writes and ``from_dict`` reads.

Paragraph numbers are 1-based positions in ``Document.paragraphs`` after
cleaning. Citations mean them, so a stored document's paragraphs never change.
"""

from __future__ import annotations

from newsdesk.model.changes import CHANGE_KINDS as CHANGE_KINDS
from newsdesk.model.changes import Alert as Alert
from newsdesk.model.changes import ChangeSet as ChangeSet
from newsdesk.model.changes import DayCount as DayCount
from newsdesk.model.changes import Delivery as Delivery
from newsdesk.model.changes import StoryChange as StoryChange
from newsdesk.model.changes import Timeline as Timeline
from newsdesk.model.document import Document as Document
from newsdesk.model.document import Hit as Hit
from newsdesk.model.document import IndexEntry as IndexEntry
from newsdesk.model.document import IngestReport as IngestReport
from newsdesk.model.document import ItemReport as ItemReport
from newsdesk.model.document import Outcome as Outcome
from newsdesk.model.document import document_id as document_id
from newsdesk.model.overview import Development as Development
from newsdesk.model.overview import Overview as Overview
from newsdesk.model.run import Run as Run
from newsdesk.model.run import RunResult as RunResult
from newsdesk.model.story import Assignment as Assignment
from newsdesk.model.summary import Claim as Claim
from newsdesk.model.summary import Group as Group
from newsdesk.model.summary import Summary as Summary
from newsdesk.model.summary import Verdict as Verdict
from newsdesk.model.topic import FORMATS as FORMATS
from newsdesk.model.topic import AlertRule as AlertRule
from newsdesk.model.topic import Digest as Digest
from newsdesk.model.topic import Item as Item
from newsdesk.model.topic import Outputs as Outputs
from newsdesk.model.topic import Spike as Spike
from newsdesk.model.topic import Topic as Topic
from newsdesk.model.topic import When as When
from newsdesk.model.wire import JSONObject as JSONObject
