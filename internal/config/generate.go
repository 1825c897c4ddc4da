package config

//go:generate go run ./gendocs -o ../../docs/configuration.md
