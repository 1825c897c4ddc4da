// Package chartdoc documents a Helm chart's values from the comments of its
// values.yaml, in the convention of helm-docs: a comment block whose first
// line starts with "# --" documents the key below it, and that key's whole
// subtree. Every other key must be a mapping whose own keys are documented,
// so that no value goes undocumented.
//
// [Parse] reads values.yaml, [Table] renders the values as a Markdown
// table, and [Splice] puts that table into a README between the markers
// [Begin] and [End].
package chartdoc
