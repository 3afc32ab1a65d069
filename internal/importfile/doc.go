// Package importfile reads and writes the files of a bulk import (issue
// 17): the template workbook with its Vietnamese headers and catalogue
// drop-downs, the reading of a filled workbook or of CSV files (one per
// sheet, in a folder or a zip), row by row with bounded memory, and the
// error report (xlsx with the bad cells highlighted, and JSON). It knows
// the shape of the files, not what a row means: package app/imports turns
// rows into domain commands.
package importfile
