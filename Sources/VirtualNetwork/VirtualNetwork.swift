// The VirtualNetwork module: see ../../README.md and ../shared/DESIGN.md.
