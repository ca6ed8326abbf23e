#pragma once
// Debian's sdl2.pc adds -D_REENTRANT, a flag SwiftPM refuses (a warning on every build; glibc
// ignores it): the target includes through SDL2/, like CYUV. It links nothing: the functions
// are resolved with dlsym (Sources/VideoWindow/SDLLibrary.swift).
#include <SDL2/SDL.h>

// SDL_WINDOWPOS_CENTERED is a macro expression Swift does not import.
static inline int tincan_sdl_windowpos_centered(void) { return (int)SDL_WINDOWPOS_CENTERED; }
