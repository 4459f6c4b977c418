// Package recovery judges whether each crane can be restored: the backup
// register (what is backed up, where, offline or not, its SHA-256, when
// taken, the last restore test) and the spares register (per crane and
// component kind, on hand against required, the last rebuild test), held
// against the advisory's list of what a crane needs backed up (operating
// system images of crane management, cabin view and ground view, PLC
// programs, drive settings, switch configurations) and spares (PLCs,
// embedded computers, network devices).
//
// Readiness makes the per-crane report; every gap is a recovery.* finding
// with the controls it bears on. ReadBackups and ReadSpares read the
// registers as CSV (a maintenance system's export), reporting bad rows as
// file:line:col problems; WriteBackups and WriteSpares write the same form.
//
// Place: beside integrity, above the store's types (it imports package
// store for the register records, never a database). Everything here is a
// pure function of its arguments and safe for concurrent use.
package recovery
