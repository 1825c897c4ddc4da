// Gendocs writes the configuration reference, config.Markdown, to the file
// named by -o. It runs from go generate in internal/config.
package main
