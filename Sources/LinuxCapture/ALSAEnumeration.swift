import CALSA
import MediaCapture

/// Lists ALSA capture PCMs: `default` when it opens for capture, then every card's capture
/// devices as `hw:CARD=<id>,DEV=<n>` (the native rates and channel counts) and
/// `plughw:CARD=<id>,DEV=<n>` (any rate or channel count, converted by alsa-lib). Names and
/// ids use the card id, which survives renumbering, rather than the card index.
enum ALSAEnumeration {
    static func microphones() -> [ALSAMicrophone] {
        // Probing absent or busy PCMs is expected to fail: keep alsa-lib quiet meanwhile.
        tincan_alsa_silence_errors()
        defer { tincan_alsa_restore_errors() }
        var out: [ALSAMicrophone] = []
        var card: Int32 = -1
        var cards = 0
        while snd_card_next(&card) == 0 && card >= 0 && cards < 64 {
            cards += 1
            out.append(contentsOf: microphones(card: card))
        }
        if ALSAPCM.capabilities(name: "default") != nil {
            out.insert(ALSAMicrophone(pcmName: "default", label: "Default"), at: 0)
        }
        return out
    }

    static func microphones(card: Int32) -> [ALSAMicrophone] {
        var ctl: OpaquePointer?
        guard snd_ctl_open(&ctl, "hw:\(card)", 0) >= 0, let ctl else { return [] }
        defer { snd_ctl_close(ctl) }
        var info: OpaquePointer?
        guard snd_ctl_card_info_malloc(&info) == 0, let info else { return [] }
        defer { snd_ctl_card_info_free(info) }
        guard snd_ctl_card_info(ctl, info) >= 0 else { return [] }
        let cardId = snd_ctl_card_info_get_id(info).map { String(cString: $0) } ?? "\(card)"
        let cardName = snd_ctl_card_info_get_name(info).map { String(cString: $0) } ?? cardId
        let physical = DeviceIdentity.physicalDevicePath(sysfsClassDevice: "/sys/class/sound/card\(card)")
        let groupId = DeviceIdentity.hash("group|" + (physical ?? "alsa-card|" + cardId))

        var pcmInfo: OpaquePointer?
        guard snd_pcm_info_malloc(&pcmInfo) == 0, let pcmInfo else { return [] }
        defer { snd_pcm_info_free(pcmInfo) }
        var out: [ALSAMicrophone] = []
        var device: Int32 = -1
        var count = 0
        while snd_ctl_pcm_next_device(ctl, &device) == 0 && device >= 0 && count < 64 {
            count += 1
            snd_pcm_info_set_device(pcmInfo, UInt32(device))
            snd_pcm_info_set_subdevice(pcmInfo, 0)
            snd_pcm_info_set_stream(pcmInfo, SND_PCM_STREAM_CAPTURE)
            guard snd_ctl_pcm_info(ctl, pcmInfo) >= 0 else { continue }  // no capture side
            let pcmName = snd_pcm_info_get_name(pcmInfo).map { String(cString: $0) } ?? "device \(device)"
            out.append(ALSAMicrophone(
                pcmName: "hw:CARD=\(cardId),DEV=\(device)", label: "\(cardName): \(pcmName)",
                groupId: groupId))
            out.append(ALSAMicrophone(
                pcmName: "plughw:CARD=\(cardId),DEV=\(device)", label: "\(cardName): \(pcmName) (plug)",
                groupId: groupId))
        }
        return out
    }
}
