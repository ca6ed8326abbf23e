// The RTP module: see ../../README.md and ../shared/DESIGN.md.
