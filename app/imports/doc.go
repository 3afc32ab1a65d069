// Package imports moves an existing province onto the ledger (issue 17):
// it reads an import file (package importfile), checks every row as the
// command it would be before writing anything, and writes each person's
// dossier and history through the domain — career, salary and training
// rows as the events they would have been, each with its own effective
// date before go-live and marked imported from the file's SHA-256 and row.
// Ids derive from the file and the row, so a repeated or resumed import
// appends only what is missing; personal ID numbers another dossier holds
// are reported as conflicts (the reservations of package app).
package imports
