import CSDL2
import Testing
@testable import VideoWindow

/// The functions VideoWindow resolves with dlsym, checked against SDL's header: this target
/// links SDL2 (the package's binaries do not), so each assignment below fails to compile
/// when a typealias in `SDLLibrary` is not the header's signature.
@Suite struct SDLLibraryTests {
    @Test("every SDLLibrary function type is the header's signature")
    func signaturesMatchTheHeader() {
        let functions: [Any] = [
            SDL_SetHint as SDLLibrary.SetHint, SDL_Init as SDLLibrary.Init, SDL_Quit as SDLLibrary.Quit,
            SDL_GetError as SDLLibrary.GetError, SDL_CreateWindow as SDLLibrary.CreateWindow,
            SDL_DestroyWindow as SDLLibrary.Destroy, SDL_CreateRenderer as SDLLibrary.CreateRenderer,
            SDL_DestroyRenderer as SDLLibrary.Destroy, SDL_GetRendererOutputSize as SDLLibrary.GetRendererOutputSize,
            SDL_SetRenderDrawColor as SDLLibrary.SetRenderDrawColor, SDL_RenderFillRects as SDLLibrary.RenderFillRects,
            SDL_RenderDrawRect as SDLLibrary.RenderDrawRect, SDL_RenderClear as SDLLibrary.RendererCall,
            SDL_RenderPresent as SDLLibrary.RenderPresent, SDL_CreateTexture as SDLLibrary.CreateTexture,
            SDL_DestroyTexture as SDLLibrary.Destroy, SDL_SetTextureScaleMode as SDLLibrary.SetTextureScaleMode,
            SDL_UpdateYUVTexture as SDLLibrary.UpdateYUVTexture, SDL_RenderCopy as SDLLibrary.RenderCopy,
            SDL_SetYUVConversionMode as SDLLibrary.SetYUVConversionMode, SDL_PollEvent as SDLLibrary.PollEvent,
            SDL_WaitEventTimeout as SDLLibrary.WaitEventTimeout,
        ]
        #expect(functions.count == 22)
    }

    @Test("the installed libSDL2 loads and has every function; a missing library is an error that says what to install")
    func loads() throws {
        let library = try SDLLibrary.load(SDLLibrary.soname).get()
        // A call that needs no display: the library really is SDL.
        #expect(library.setHint("TINCAN_TEST_HINT", "1") == SDL_TRUE)
        switch SDLLibrary.load("libSDL2-does-not-exist.so.0") {
        case .success: Issue.record("a library that does not exist loaded")
        case .failure(let error): #expect(error.description.contains("libSDL2-does-not-exist.so.0") && error.description.contains("apt-get install"), "\(error)")
        }
    }
}
