// The MediaCodecs module: see ../../README.md and ../shared/DESIGN.md.
