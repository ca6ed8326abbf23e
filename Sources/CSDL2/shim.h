#pragma once
// Debian's sdl2.pc adds -D_REENTRANT, a flag SwiftPM refuses (a warning on every build; glibc
// ignores it): the target links by name and includes through SDL2/, like CYUV.
#include <SDL2/SDL.h>

// SDL_WINDOWPOS_CENTERED is a macro expression Swift does not import.
static inline int tincan_sdl_windowpos_centered(void) { return (int)SDL_WINDOWPOS_CENTERED; }
