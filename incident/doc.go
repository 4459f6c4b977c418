// Package incident turns findings escalated to an incident into what the
// Facility Security Officer must send and keep: a report draft with every
// field the National Response Center and CISA ask for (each filled from
// what harborwatch knows, suggested for a person to confirm, or marked for
// a person to add), guidance on whether it looks reportable under 33 CFR
// 101 (the officer decides) with the reporting clock from detection, a
// timeline, the contacts of the advisory, a signed evidence bundle (a zip
// of the report, the findings, the events and the evidence pcaps with a
// manifest of SHA-256s signed with the facility's ed25519 key) and a STIX
// 2.1 bundle of the incident's indicators for information sharing.
//
// The field list is the merged one of the project's reference on incident
// reporting (NRC call and NVIC 02-24 content, CISA's incident reporting
// form, CISA's ten key elements, the Federal Incident Notification
// Guidelines, and CIRCIA as proposed).
//
// Place in the data path: none; it reads what the store holds.
//
// Concurrency: every function is safe for concurrent use.
package incident
