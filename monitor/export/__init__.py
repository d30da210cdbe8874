"""Export of a stored session in the formats a clinic's record system or a researcher's tools read.

One module per format (csv_bundle, json_record, fhir, hl7, edf); every one reads
the session through a `SessionSource` (never SQL), so the same code exports from
a chair's SQLite file and from the central store. The field libraries
(fhir.resources, python-hl7, pyedflib) are imported inside the functions that use
them, so the chair's monitor never loads them. Every export function takes an
optional `progress(done, total)` callback for long exports (the review window
shows it). Files are written through `monitor.export.files`: readable by the
user only (0600) and atomic, so a failed export leaves no partial file.
"""

from monitor.export.common import EmptySession, ExportError, Progress

__all__ = ["EmptySession", "ExportError", "Progress"]
