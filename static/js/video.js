// Tengja's video call: device check, waiting room and a peer-to-peer WebRTC call.
//
// Negotiation follows the W3C "perfect negotiation" pattern: the client's
// browser is polite (when both offer at once it rolls its own offer back), the
// professional's is impolite (it ignores the colliding offer). The
// professional's browser adds one audio and one video transceiver, both
// sendrecv, to each new connection; the client's takes up the ones the first
// offer brings. After that either side may renegotiate (an ICE restart), and
// turning the camera on, switching devices or sharing the screen only swaps
// the track on a sender, so someone who joined with sound only can turn a
// camera on later.
//
// Signalling messages are handled one at a time, in the order they came.
// Each socket open sends "hello", answered by "here"; both say whether the
// sender has a peer connection ("fresh" when it has none). The professional's
// side makes every new connection: when it has none, when its own is broken,
// or when the client's side starts fresh. The client's side drops its own when
// the other is fresh, and knows a new connection's first offer by its SDP
// session id (the o= line, constant for one connection's life, RFC 3264).
//
// Every way out (Leave, another window, a refusal, the session cancelled,
// signing out) goes through teardown(), which stops every track, timer,
// audio graph, channel and connection and closes the socket for good.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("video-config").textContent);
  const t = config.messages;
  const polite = config.role === "client";
  const $ = (id) => document.getElementById(id);

  // ICE restarts (or new connections after a failed set-up) in a row before we
  // stop and ask: 1 s, 2 s, 4 s apart.
  const MAX_RECOVERIES = 3;
  // Socket reconnections in a row: 0.5 s doubling up to 8 s, about 40 s in all.
  const MAX_SOCKET_RETRIES = 8;
  // A negotiation still unsettled after this long has lost a message.
  const STALL_MS = 10000;
  // The server's close codes (tengja.video.consumers).
  const CLOSE = { refused: 4403, replaced: 4409, cancelled: 4410, signedOut: 4401, unavailable: 4503 };

  let micTrack = null; // the microphone in use
  let cameraTrack = null; // the camera in use; null while it is off
  let screenTrack = null; // the shared screen; null unless sharing
  let cameraWanted = true; // the person's choice, as the camera buttons say
  let audioOnly = false; // video paused because the connection is weak
  let joined = false;
  let ended = false; // teardown() has run: nothing may start again

  let peer = null; // the current connection and its negotiation state (newPeer)
  let remoteState = { audio: true, video: false, audioOnly: false, screen: false };
  let queue = Promise.resolve();
  let recoveries = 0;
  let recoveryTimer = null;
  let disconnectTimer = null;
  let poorChecks = 0;
  let peerAway = false; // their signalling dropped ("gone") and they have not said hello since

  let ws = null;
  let socketRetries = 0;
  let socketTimer = null; // the next reconnection, while one is waiting
  let socketsOpened = 0;

  let audioContext = null;
  let meterNodes = null;
  let meterFrame = null;

  // Every pending timer, so teardown() can clear them all.
  const timers = new Set();
  function later(callback, ms) {
    const id = setTimeout(() => {
      timers.delete(id);
      if (!ended) callback();
    }, ms);
    timers.add(id);
    return id;
  }
  function cancel(id) {
    if (id === null) return null;
    clearTimeout(id);
    timers.delete(id);
    return null;
  }

  // Tests and the benchmark read the live call from here. noteQuality lets a
  // test play a poor connection through the real fallback.
  window.tengjaCall = {
    get pc() { return peer && peer.pc; },
    get ws() { return ws; },
    get socketsOpened() { return socketsOpened; },
    get audioContextState() { return audioContext ? audioContext.state : null; },
    localTracks: () => [micTrack, cameraTrack, screenTrack].filter(Boolean),
    noteQuality: (quality) => noteQuality(quality),
  };

  // ---------------------------------------------------------------- devices

  function describeError(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return t.error_permission;
    if (name === "NotFoundError" || name === "OverconstrainedError") return t.error_no_device;
    if (name === "NotReadableError" || name === "AbortError") return t.error_in_use;
    return t.error_generic;
  }

  function constraint(kind) {
    const id = $(kind === "audio" ? "mic-select" : "camera-select").value;
    const chosen = id ? { deviceId: { exact: id } } : {};
    if (kind === "audio") return id ? chosen : true;
    return Object.assign({ width: { ideal: 1280 }, height: { ideal: 720 } }, chosen);
  }

  // Tracks that arrive after teardown (a slow permission prompt) are stopped at once.
  async function capture(wanted) {
    const stream = await navigator.mediaDevices.getUserMedia(wanted);
    if (ended) {
      stream.getTracks().forEach((track) => track.stop());
      throw new DOMException("The call has ended", "AbortError");
    }
    return stream;
  }

  function showDeviceError(error) {
    $("device-error").textContent = describeError(error);
    $("device-error").hidden = false;
    if (joined) openDevices(true);
    else $("join-button").disabled = true;
  }

  function clearDeviceMessages() {
    $("device-error").hidden = true;
    $("device-note").hidden = true;
  }

  // The device check: the microphone and (unless turned off) the camera.
  async function startDevices() {
    clearDeviceMessages();
    let stream;
    try {
      stream = await capture({ audio: constraint("audio"), video: cameraWanted && constraint("video") });
    } catch (error) {
      if (ended) return;
      const noCamera = error && (error.name === "NotFoundError" || error.name === "OverconstrainedError");
      if (!noCamera || !cameraWanted) return showDeviceError(error);
      try {
        // No camera: a call with sound only is better than none.
        stream = await capture({ audio: constraint("audio"), video: false });
        $("device-note").textContent = t.audio_only_device;
        $("device-note").hidden = false;
      } catch (second) {
        if (!ended) showDeviceError(second);
        return;
      }
    }
    await useMic(stream.getAudioTracks()[0] || null);
    await useCamera(stream.getVideoTracks()[0] || null);
    await fillPickers();
    $("join-button").disabled = !micTrack;
  }

  // A new microphone replaces the old one on the sender (no renegotiation) and
  // keeps its muted state; the old one is stopped.
  async function useMic(track) {
    const old = micTrack;
    if (old && track) track.enabled = old.enabled;
    micTrack = track;
    await sendTrack(peer, "audio", track);
    if (old && old !== track) old.stop();
    if (meterWanted()) startMeter();
    applyControls();
    sendState();
  }

  async function useCamera(track) {
    const old = cameraTrack;
    cameraTrack = track;
    if (!screenTrack) await sendTrack(peer, "video", outgoingVideo());
    if (old && old !== track) old.stop();
    showLocalVideo();
    applyControls();
    sendState();
  }

  async function switchDevice(kind) {
    if (ended) return;
    clearDeviceMessages();
    if (kind === "video" && !cameraWanted) return;
    try {
      const stream = await capture({ [kind]: constraint(kind) });
      const track = stream.getTracks()[0];
      if (kind === "audio") await useMic(track);
      else if (cameraWanted) await useCamera(track);
      else track.stop(); // turned off again while it was opening
    } catch (error) {
      if (!ended) showDeviceError(error);
    }
  }

  // Turning the camera off stops it (its light goes out); turning it on opens
  // it again and puts it on the video sender.
  async function setCamera(on) {
    cameraWanted = on;
    if (on) await switchDevice("video");
    else await useCamera(null);
  }

  // With the camera off: your picture (or initials) in the preview, and no
  // empty tile in the call.
  function showLocalVideo() {
    $("preview").srcObject = cameraTrack ? new MediaStream([cameraTrack]) : null;
    $("preview-placeholder").hidden = Boolean(cameraTrack);
    const outgoing = screenTrack || cameraTrack;
    $("local-video").srcObject = outgoing ? new MediaStream([outgoing]) : null;
    $("local-video").hidden = !outgoing;
  }

  async function fillPickers() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const pickers = { videoinput: "camera-select", audioinput: "mic-select", audiooutput: "speaker-select" };
    const current = {
      videoinput: cameraTrack && cameraTrack.getSettings().deviceId,
      audioinput: micTrack && micTrack.getSettings().deviceId,
      audiooutput: $("speaker-select").value,
    };
    Object.keys(pickers).forEach((kind) => {
      const select = $(pickers[kind]);
      const keep = current[kind] || select.value;
      select.innerHTML = "";
      devices.filter((d) => d.kind === kind).forEach((device, index) => {
        const option = document.createElement("option");
        option.value = device.deviceId;
        option.textContent = device.label || kind + " " + (index + 1);
        option.selected = device.deviceId === keep;
        select.appendChild(option);
      });
    });
    // Choosing the speaker is possible only where the browser supports it.
    $("speaker-field").hidden = !("setSinkId" in HTMLMediaElement.prototype) || !$("speaker-select").options.length;
  }

  // ---------------------------------------------------------------- microphone meter

  // One AudioContext for the page; each new microphone replaces the meter's
  // nodes (disconnecting the old ones) rather than adding more.
  function meterWanted() {
    return !ended && (!joined || !$("devices-panel").hidden);
  }

  function startMeter() {
    stopMeter();
    if (!micTrack) return;
    audioContext = audioContext || new (window.AudioContext || window.webkitAudioContext)();
    const source = audioContext.createMediaStreamSource(new MediaStream([micTrack]));
    const analyser = audioContext.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    meterNodes = [source, analyser];
    const samples = new Uint8Array(analyser.fftSize);
    const meter = $("mic-level");
    let last = 0;
    function draw(now) {
      meterFrame = requestAnimationFrame(draw);
      if (now - last < 100) return;
      last = now;
      analyser.getByteTimeDomainData(samples);
      let sum = 0;
      for (let i = 0; i < samples.length; i++) {
        const v = (samples[i] - 128) / 128;
        sum += v * v;
      }
      meter.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
    }
    meterFrame = requestAnimationFrame(draw);
    if (audioContext.state === "suspended") audioContext.resume().catch(() => {});
  }

  function stopMeter() {
    if (meterFrame !== null) cancelAnimationFrame(meterFrame);
    meterFrame = null;
    if (meterNodes) meterNodes.forEach((node) => node.disconnect());
    meterNodes = null;
    $("mic-level").value = 0;
  }

  // ---------------------------------------------------------------- signalling

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  // At most one socket at a time: a second one would replace the first on the
  // server, which tells the first that another window took over.
  function openSocket() {
    socketTimer = cancel(socketTimer);
    if (ended || ws) return;
    const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + window.location.host + config.ws_path);
    ws = socket;
    socketsOpened += 1;
    socket.onopen = () => {
      socketRetries = 0;
      hideRetry();
      // A connection that broke while we were away is not worth keeping; one
      // that held (the media went on while only the signalling was lost) is
      // the call going on, and the status says so again.
      if (peer && !healthy(peer)) closePeer();
      if (!peer) setStatus(t.waiting);
      else showConnected();
      send({ type: "hello", fresh: !peer });
      sendState();
    };
    socket.onmessage = (event) => {
      if (socket !== ws || ended) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      // One at a time, in order: each message waits for the one before.
      queue = queue.then(() => handle(message)).catch(negotiationFailed);
    };
    socket.onclose = (event) => {
      if (socket !== ws || ended) return;
      ws = null;
      socketClosed(event.code);
    };
  }

  function socketClosed(code) {
    if (code === CLOSE.refused) return finish(t.refused, { rejoin: false });
    if (code === CLOSE.replaced) return finish(t.replaced);
    if (code === CLOSE.cancelled) return finish(t.cancelled, { rejoin: false });
    if (code === CLOSE.signedOut) return finish(t.signed_out, { rejoin: false });
    if (socketRetries >= MAX_SOCKET_RETRIES) return giveUp(t.lost, t.reconnect);
    const delay = code === CLOSE.unavailable ? 10000 : Math.min(500 * 2 ** socketRetries, 8000);
    socketRetries += 1;
    setStatus(code === CLOSE.unavailable ? t.unavailable : t.reconnecting);
    socketTimer = later(openSocket, delay);
  }

  async function handle(message) {
    if (ended) return;
    switch (message.type) {
      case "hello":
      case "here":
        return onPresence(message);
      case "description":
        return onDescription(message.description);
      case "candidate":
        return onCandidate(message.candidate);
      case "state":
        remoteState = message;
        return showRemoteState();
      case "bye":
        peerAway = false;
        remoteState = { audio: true, video: false, audioOnly: false, screen: false };
        closePeer();
        setStatus(t.peer_left + " " + t.waiting);
        return;
      case "gone":
        // Their signalling dropped; the media may still flow, so the call stays,
        // and the status says we wait for them until they are back (an ICE
        // change meanwhile does not say "in the call" over it).
        peerAway = true;
        if (peer) setStatus(t.peer_reconnecting);
        return;
      case "unavailable":
        return setStatus(t.unavailable);
      case "replaced":
        return finish(t.replaced);
      case "error":
        // The server refused something we sent; a negotiation it stalls is
        // caught by the stall check.
        console.warn("signalling refused a message:", message.message);
        return;
    }
  }

  function onPresence(message) {
    peerAway = false;
    if (polite) {
      // A fresh side has no connection: ours was paired with one that is gone.
      if (message.fresh && peer) closePeer();
    } else if (peer && mustReplace(peer, message)) {
      closePeer();
    }
    if (message.type === "hello") send({ type: "here", fresh: !peer });
    sendState();
    if (peer) {
      // They are back (their socket had dropped) and our connection held.
      if (healthy(peer)) showConnected();
      return;
    }
    setStatus(t.connecting);
    // The professional's side starts the connection; the client's waits for its offer.
    if (!polite) newPeer();
  }

  // The professional's side: whether the other's hello or here means our
  // connection cannot go on. One still waiting for its first answer is kept
  // when their "here" crossed our offer (it was sent before our offer arrived).
  function mustReplace(p, message) {
    if (message.type === "hello" && message.fresh) return true; // they start anew now
    if (!p.pc.remoteDescription) return false;
    return message.fresh || !healthy(p);
  }

  function sessionOf(sdp) {
    const line = /^o=\S+ (\S+) /m.exec(sdp || "");
    return line ? line[1] : null;
  }

  async function onDescription(description) {
    const offer = description.type === "offer";
    const remote = peer && peer.pc.remoteDescription;
    if (remote && sessionOf(description.sdp) !== sessionOf(remote.sdp)) {
      // From another connection than ours is paired with: on the client's side
      // an offer means the professional's side started a new one; anything
      // else is from a connection that no longer exists.
      if (!polite || !offer) return;
      closePeer();
    }
    if (!peer) {
      if (!offer) return; // an answer for a connection we dropped
      newPeer();
    }
    const p = peer;
    const readyForOffer = !p.makingOffer && (p.pc.signalingState === "stable" || p.settingAnswer);
    const collision = description.type === "offer" && !readyForOffer;
    p.ignoreOffer = !polite && collision;
    if (p.ignoreOffer) return;
    p.settingAnswer = description.type === "answer";
    try {
      // When polite and colliding, this rolls our own offer back by itself.
      await p.pc.setRemoteDescription(description);
    } finally {
      p.settingAnswer = false;
    }
    if (p !== peer) return;
    await addCandidates(p, p.pendingCandidates.splice(0));
    if (description.type !== "offer") return;
    if (!p.audio) await takeUpTransceivers(p);
    await p.pc.setLocalDescription();
    if (p === peer) send({ type: "description", description: p.pc.localDescription.toJSON() });
  }

  async function onCandidate(candidate) {
    const p = peer;
    if (!p) return;
    // Candidates can come before the description they belong to: keep them until it has.
    if (!p.pc.remoteDescription) p.pendingCandidates.push(candidate);
    else await addCandidates(p, [candidate]);
  }

  async function addCandidates(p, candidates) {
    for (const candidate of candidates) {
      try {
        await p.pc.addIceCandidate(candidate);
      } catch (error) {
        // One unusable candidate (an older ICE generation, an ignored offer's)
        // is no failure: if no path is left, ICE itself reports it.
        if (!p.ignoreOffer) console.debug("ICE candidate not added", error);
      }
    }
  }

  // ---------------------------------------------------------------- the connection

  function newPeer() {
    closePeer();
    const pc = new RTCPeerConnection({
      iceServers: config.ice_servers,
      iceTransportPolicy: config.ice_transport_policy, // "relay": only through TURN
    });
    const p = {
      pc: pc,
      audio: null, // our audio and video transceivers
      video: null,
      makingOffer: false,
      ignoreOffer: false,
      settingAnswer: false,
      pendingCandidates: [],
      gathered: 0, // our ICE candidates in this round of gathering
      relayRefused: false, // a TURN server refused our credentials
      remote: new MediaStream(),
      chat: null,
      stallTimer: null,
      statsTimer: null,
    };
    peer = p;
    $("remote-video").srcObject = p.remote;
    if (!polite) {
      p.audio = pc.addTransceiver(micTrack || "audio", { direction: "sendrecv" });
      p.video = pc.addTransceiver(outgoingVideo() || "video", { direction: "sendrecv" });
      setupChat(p, pc.createDataChannel("chat"));
    }
    pc.ontrack = (event) => {
      if (p !== peer) return;
      p.remote.addTrack(event.track);
      showRemoteState();
    };
    pc.onicecandidate = (event) => {
      if (event.candidate) p.gathered += 1;
      if (p === peer) send({ type: "candidate", candidate: event.candidate ? event.candidate.toJSON() : null });
    };
    pc.onicecandidateerror = (event) => {
      // 401 Unauthorized, 403 Forbidden, 437 Allocation Mismatch, 441 Wrong Credentials.
      if ([401, 403, 437, 441].includes(event.errorCode)) p.relayRefused = true;
    };
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === "gathering") p.gathered = 0;
      else if (pc.iceGatheringState === "complete" && p.gathered === 0 && p === peer) noWayOut(p);
    };
    pc.onnegotiationneeded = async () => {
      try {
        p.makingOffer = true;
        await pc.setLocalDescription();
        if (p === peer) send({ type: "description", description: pc.localDescription.toJSON() });
      } catch (error) {
        if (p === peer) negotiationFailed(error);
      } finally {
        p.makingOffer = false;
      }
    };
    pc.oniceconnectionstatechange = () => {
      if (p === peer) iceStateChanged(p);
    };
    pc.ondatachannel = (event) => {
      if (p === peer) setupChat(p, event.channel);
    };
    watchForStall(p);
    return p;
  }

  // The client's side: the first offer made the transceivers; send on them too.
  async function takeUpTransceivers(p) {
    const ours = (kind) => p.pc.getTransceivers().find((x) => !x.stopped && x.receiver.track.kind === kind);
    p.audio = ours("audio") || null;
    p.video = ours("video") || null;
    await sendTrack(p, "audio", micTrack);
    await sendTrack(p, "video", outgoingVideo());
  }

  function outgoingVideo() {
    return audioOnly ? null : screenTrack || cameraTrack;
  }

  // Put a track (or nothing) on our sender of that kind. The transceivers are
  // sendrecv from the start, so this needs no new offer; if one is not, setting
  // its direction starts a renegotiation (onnegotiationneeded).
  async function sendTrack(p, kind, track) {
    const transceiver = p && p[kind];
    if (!transceiver || transceiver.stopped) return;
    if (transceiver.direction !== "sendrecv") transceiver.direction = "sendrecv";
    if (transceiver.sender.track === track) return;
    try {
      await transceiver.sender.replaceTrack(track);
    } catch (error) {
      if (p === peer) negotiationFailed(error);
    }
  }

  function healthy(p) {
    const ice = p.pc.iceConnectionState;
    return p.pc.signalingState === "stable" && (ice === "connected" || ice === "completed");
  }

  function iceStateChanged(p) {
    const state = p.pc.iceConnectionState;
    disconnectTimer = cancel(disconnectTimer);
    if (state === "connected" || state === "completed") {
      recoveries = 0;
      recoveryTimer = cancel(recoveryTimer);
      hideRetry();
      showConnected();
      startStats(p);
    } else if (state === "disconnected") {
      setStatus(t.reconnecting);
      // Often it comes back by itself; if not, restart ICE.
      disconnectTimer = later(() => recover("ice"), 4000);
    } else if (state === "failed") {
      recover("ice");
    }
  }

  // A negotiation that is still not settled after a while lost a message
  // (the other side's socket dropped mid-offer): start again.
  function watchForStall(p) {
    p.stallTimer = cancel(p.stallTimer);
    p.stallTimer = later(() => {
      if (p !== peer) return;
      p.stallTimer = null;
      if (p.pc.signalingState !== "stable" || p.pc.iceConnectionState === "new") recover("setup");
    }, STALL_MS);
  }

  // Gathering ended with no candidate at all: with relay only (the setting
  // VIDEO_ICE_TRANSPORT_POLICY), no TURN server gave us an address. Nothing can
  // connect, so say so now rather than after the stall check. Refused
  // credentials (expired: a page left open longer than they last) will not do
  // better on a retry (the connection is closed); a fresh page gets new ones.
  function noWayOut(p) {
    if (!p.relayRefused) return recover("setup");
    closePeer();
    giveUp(t.relay_refused, t.reload, { reload: true });
  }

  function negotiationFailed(error) {
    if (ended) return;
    console.warn("negotiation failed", error);
    recover("setup");
  }

  // Bounded recovery with exponential backoff: an ICE restart for a lost path,
  // a new connection for a failed set-up; after MAX_RECOVERIES, ask.
  function recover(kind) {
    if (ended || recoveryTimer !== null) return;
    if (recoveries >= MAX_RECOVERIES) {
      return kind === "ice" ? giveUp(t.lost, t.reconnect) : giveUp(t.setup_failed, t.try_again);
    }
    const delay = 1000 * 2 ** recoveries;
    recoveries += 1;
    setStatus(kind === "ice" ? t.reconnecting : t.setup_retrying);
    recoveryTimer = later(() => {
      recoveryTimer = null;
      if (kind === "ice" && peer) {
        // A restart that fails again says so through the ICE state; one whose
        // offer is lost, through the stall check.
        peer.pc.restartIce();
        watchForStall(peer);
      } else {
        startAgain();
      }
    }, delay);
  }

  // Drop our connection and say so with a fresh hello: the other side drops
  // its own, and the professional's side makes a new one.
  function startAgain() {
    closePeer();
    if (!ws) openSocket(); // its hello says fresh
    else if (ws.readyState === WebSocket.OPEN) send({ type: "hello", fresh: true });
  }

  function giveUp(message, buttonLabel, options) {
    recoveryTimer = cancel(recoveryTimer);
    disconnectTimer = cancel(disconnectTimer);
    setStatus(message);
    $("retry-button").textContent = buttonLabel;
    $("retry-button").dataset.reload = String(Boolean(options && options.reload));
    $("retry-button").hidden = false;
  }

  function hideRetry() {
    $("retry-button").hidden = true;
  }

  $("retry-button").addEventListener("click", () => {
    if ($("retry-button").dataset.reload === "true") return window.location.reload();
    recoveries = 0;
    socketRetries = 0;
    hideRetry();
    $("mute-button").focus();
    startAgain();
  });

  function closePeer() {
    disconnectTimer = cancel(disconnectTimer);
    recoveryTimer = cancel(recoveryTimer);
    const p = peer;
    peer = null;
    if (p) {
      cancel(p.stallTimer);
      cancel(p.statsTimer);
      if (p.chat) p.chat.close();
      p.pc.close();
    }
    setChatEnabled(false);
    $("remote-video").srcObject = null;
    showRemoteState();
    $("quality").textContent = "";
  }

  // ---------------------------------------------------------------- joining and leaving

  function joinCall() {
    joined = true;
    document.body.classList.add("in-call");
    stopMeter();
    $("devices-panel").appendChild($("device-fields"));
    $("device-check").hidden = true;
    $("call").hidden = false;
    if (navigator.mediaDevices.getDisplayMedia) $("share-button").hidden = false;
    // On a phone, Join is far down the device check: the call starts at the top.
    window.scrollTo(0, 0);
    $("mute-button").focus();
    setStatus(t.waiting);
    openSocket();
  }

  // The one way to stop: every track, timer, audio node, channel, connection
  // and the socket. Nothing starts again afterwards (see later() and capture()).
  function teardown() {
    if (ended) return;
    ended = true;
    timers.forEach((id) => clearTimeout(id));
    timers.clear();
    stopMeter();
    if (audioContext) audioContext.close().catch(() => {});
    closePeer();
    if (ws) {
      const socket = ws;
      ws = null;
      socket.onclose = null;
      socket.onmessage = null;
      socket.close();
    }
    [micTrack, cameraTrack, screenTrack].forEach((track) => track && track.stop());
    micTrack = cameraTrack = screenTrack = null;
    $("preview").srcObject = null;
    $("local-video").srcObject = null;
  }

  function finish(message, options) {
    teardown();
    document.body.classList.remove("in-call");
    $("device-check").hidden = true;
    $("call").hidden = true;
    $("left").hidden = false;
    $("left-message").textContent = message;
    const rejoin = !options || options.rejoin !== false;
    $("rejoin-button").hidden = !rejoin;
    (rejoin ? $("rejoin-button") : $("back-link")).focus();
  }

  $("leave-button").addEventListener("click", () => {
    send({ type: "bye" });
    finish(t.you_left);
  });

  // ---------------------------------------------------------------- controls

  function applyControls() {
    const muted = !micTrack || !micTrack.enabled;
    $("mute-button").textContent = muted ? t.unmute : t.mute;
    $("mute-button").setAttribute("aria-pressed", String(muted));
    $("mute-button").disabled = !micTrack;
    const cameraOff = !cameraTrack;
    ["camera-button", "preview-camera-button"].forEach((id) => {
      $(id).textContent = cameraOff ? t.camera_on : t.camera_off;
      $(id).setAttribute("aria-pressed", String(cameraOff));
    });
    $("share-button").textContent = screenTrack ? t.stop_share : t.share;
    $("share-button").setAttribute("aria-pressed", String(Boolean(screenTrack)));
  }

  function sendState() {
    send({
      type: "state",
      audio: Boolean(micTrack && micTrack.enabled),
      video: Boolean(outgoingVideo()),
      audioOnly: audioOnly,
      screen: Boolean(screenTrack),
    });
  }

  $("mute-button").addEventListener("click", () => {
    if (!micTrack) return;
    micTrack.enabled = !micTrack.enabled;
    applyControls();
    sendState();
  });

  function toggleCamera() {
    setCamera(!cameraTrack).catch(negotiationFailed);
  }
  $("camera-button").addEventListener("click", toggleCamera);
  $("preview-camera-button").addEventListener("click", toggleCamera);

  $("share-button").addEventListener("click", async () => {
    if (screenTrack) return stopSharing();
    let display;
    try {
      display = await navigator.mediaDevices.getDisplayMedia({ video: true });
    } catch (error) {
      return; // the person chose not to share
    }
    const track = display.getVideoTracks()[0];
    if (ended) return track.stop();
    screenTrack = track;
    track.onended = stopSharing; // the browser's own "Stop sharing"
    await sendTrack(peer, "video", outgoingVideo());
    showLocalVideo();
    applyControls();
    sendState();
  });

  async function stopSharing() {
    if (!screenTrack) return;
    screenTrack.stop();
    screenTrack = null;
    await sendTrack(peer, "video", outgoingVideo());
    showLocalVideo();
    applyControls();
    sendState();
  }

  function openDevices(open) {
    $("devices-panel").hidden = !open;
    $("devices-button").setAttribute("aria-expanded", String(open));
    if (meterWanted()) startMeter();
    else stopMeter();
  }
  $("devices-button").addEventListener("click", () => openDevices($("devices-panel").hidden));

  $("camera-select").addEventListener("change", () => switchDevice("video"));
  $("mic-select").addEventListener("change", () => switchDevice("audio"));
  $("speaker-select").addEventListener("change", () => {
    const video = $("remote-video");
    if (video.setSinkId) video.setSinkId($("speaker-select").value).catch(() => {});
  });
  $("test-button").addEventListener("click", startDevices);
  $("join-button").addEventListener("click", joinCall);
  $("rejoin-button").addEventListener("click", () => window.location.reload());

  // Their name and picture (or initials) stand in for their video while it is
  // off or not there yet, as their "state" messages say.
  function showRemoteState() {
    $("remote-placeholder").hidden = Boolean(peer && remoteState.video);
    const list = $("remote-state");
    list.innerHTML = "";
    if (!peer) return;
    const add = (text) => {
      const item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    };
    if (!remoteState.audio) add(t.peer_muted);
    if (remoteState.audioOnly) add(t.peer_audio_only);
    else if (!remoteState.video) add(t.peer_camera_off);
  }

  // ---------------------------------------------------------------- quality

  // Every 2 s while the connection lasts (statsTimer is set while the loop runs).
  function startStats(p) {
    if (p.statsTimer !== null) return;
    let lastLost = 0;
    let lastReceived = 0;
    async function check() {
      if (p !== peer) return;
      const report = await p.pc.getStats().catch(() => null);
      if (!report || p !== peer) return;
      let rtt = null;
      let lost = 0;
      let received = 0;
      let bandwidthLimited = false;
      report.forEach((s) => {
        if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") rtt = s.currentRoundTripTime;
        if (s.type === "inbound-rtp") {
          lost += s.packetsLost || 0;
          received += s.packetsReceived || 0;
        }
        if (s.type === "outbound-rtp" && s.kind === "video" && s.qualityLimitationReason === "bandwidth") {
          bandwidthLimited = true;
        }
      });
      const newLost = lost - lastLost;
      const newReceived = received - lastReceived;
      lastLost = lost;
      lastReceived = received;
      const lossRate = newLost + newReceived > 0 ? newLost / (newLost + newReceived) : 0;
      let quality = "good";
      if ((rtt !== null && rtt > 0.6) || lossRate > 0.08) quality = "poor";
      else if ((rtt !== null && rtt > 0.3) || lossRate > 0.03 || bandwidthLimited) quality = "fair";
      noteQuality(quality);
      p.statsTimer = later(check, 2000);
    }
    p.statsTimer = later(check, 2000);
  }

  function noteQuality(quality) {
    $("quality").textContent = t["quality_" + quality];
    $("quality").dataset.quality = quality;
    // Three poor readings in a row (6 s): keep the sound, pause the video.
    poorChecks = quality === "poor" ? poorChecks + 1 : 0;
    if (poorChecks >= 3 && !audioOnly) goAudioOnly();
  }

  function goAudioOnly() {
    audioOnly = true;
    sendTrack(peer, "video", null);
    setStatus(t.audio_only);
    $("video-retry-button").hidden = false;
    sendState();
  }

  $("video-retry-button").addEventListener("click", () => {
    audioOnly = false;
    poorChecks = 0;
    sendTrack(peer, "video", outgoingVideo());
    $("video-retry-button").hidden = true;
    $("mute-button").focus();
    setStatus(t.connected);
    sendState();
  });

  // ---------------------------------------------------------------- chat

  function setChatEnabled(enabled) {
    $("chat-input").disabled = !enabled;
    $("chat-form").querySelector("button").disabled = !enabled;
    $("chat-closed").hidden = enabled;
  }

  function addChatLine(who, text) {
    const item = document.createElement("li");
    const name = document.createElement("strong");
    name.textContent = who + ": ";
    item.appendChild(name);
    item.appendChild(document.createTextNode(text));
    $("chat-log").appendChild(item);
  }

  function setupChat(p, channel) {
    p.chat = channel;
    channel.onopen = () => {
      if (p === peer) setChatEnabled(true);
    };
    channel.onclose = () => {
      if (p === peer) setChatEnabled(false);
    };
    channel.onmessage = (event) => {
      if (typeof event.data === "string") addChatLine(config.other_name, event.data.slice(0, 1000));
    };
  }

  $("chat-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("chat-input");
    const text = input.value.trim().slice(0, 1000);
    const chat = peer && peer.chat;
    if (!text || !chat || chat.readyState !== "open") return;
    chat.send(text);
    addChatLine(t.you, text);
    input.value = "";
  });

  // In the call: said plainly, unless our video is paused for a weak connection.
  function showConnected() {
    if (peerAway) return setStatus(t.peer_reconnecting);
    setStatus(audioOnly ? t.audio_only : t.connected);
  }

  function setStatus(text) {
    $("call-status").textContent = text;
  }

  if (!navigator.mediaDevices || !window.RTCPeerConnection) {
    showDeviceError({ name: "SecurityError" });
  } else {
    startDevices();
  }
})();
