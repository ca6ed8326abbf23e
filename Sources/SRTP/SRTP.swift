// The SRTP module: see ../../README.md and ../shared/DESIGN.md.
