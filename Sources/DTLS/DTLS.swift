// The DTLS module: see ../../README.md and ../shared/DESIGN.md.
