// Tengja's video call: device check, waiting room and a peer-to-peer WebRTC call.
//
// Signalling runs over the session's WebSocket (tengja.video.consumers). The
// professional always makes the offers and the client answers, so there is
// never glare. Each new peer connection gets a fresh generation number: a
// message from an older connection is ignored, and an offer with a new
// generation (the other side reloaded) starts a new connection. ICE
// candidates that arrive before the remote description wait in a queue.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("video-config").textContent);
  var t = config.messages;
  var isOfferer = config.role === "professional";
  var $ = function (id) { return document.getElementById(id); };

  var localStream = null;
  var cameraTrack = null;
  var screenTrack = null;
  var pc = null;
  var gen = 0;
  var pendingCandidates = [];
  var ws = null;
  var backoff = 500;
  var leaving = false;
  var stopped = false;
  var inCall = false;
  var peerLeft = false;
  var chat = null;
  var audioOnly = false;
  var poorChecks = 0;
  var statsTimer = null;
  var disconnectTimer = null;
  var meterFrame = null;
  var audioContext = null;

  // Tests and the benchmark read the live connection from here.
  // noteQuality lets a test play a poor connection through the real fallback.
  window.tengjaCall = {
    get pc() { return pc; },
    get gen() { return gen; },
    noteQuality: function (quality) { noteQuality(quality); },
  };

  // ---------------------------------------------------------------- device check

  function constraints() {
    var cam = $("camera-select").value;
    var mic = $("mic-select").value;
    return {
      audio: mic ? { deviceId: { exact: mic } } : true,
      video: cam
        ? { deviceId: { exact: cam }, width: { ideal: 1280 }, height: { ideal: 720 } }
        : { width: { ideal: 1280 }, height: { ideal: 720 } },
    };
  }

  function describeError(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") return t.error_permission;
    if (name === "NotFoundError" || name === "OverconstrainedError") return t.error_no_device;
    if (name === "NotReadableError" || name === "AbortError") return t.error_in_use;
    return t.error_generic;
  }

  async function startDevices() {
    $("device-error").hidden = true;
    $("device-note").hidden = true;
    var stream = null;
    try {
      stream = await navigator.mediaDevices.getUserMedia(constraints());
    } catch (error) {
      if (error && (error.name === "NotFoundError" || error.name === "OverconstrainedError")) {
        try {
          // No camera: a call with sound only is better than none.
          stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
          $("device-note").textContent = t.audio_only_device;
          $("device-note").hidden = false;
        } catch (second) {
          return showDeviceError(second);
        }
      } else {
        return showDeviceError(error);
      }
    }
    useStream(stream);
    await fillPickers();
    $("join-button").disabled = false;
  }

  function showDeviceError(error) {
    $("device-error").textContent = describeError(error);
    $("device-error").hidden = false;
    $("join-button").disabled = true;
    return false;
  }

  function useStream(stream) {
    var previous = localStream;
    localStream = stream;
    cameraTrack = stream.getVideoTracks()[0] || null;
    $("preview").srcObject = stream;
    $("local-video").srcObject = stream;
    startMeter(stream);
    if (pc) {
      // Swap the tracks in the running call without renegotiating.
      pc.getSenders().forEach(function (sender) {
        if (!sender.track) return;
        var replacement = sender.track.kind === "audio" ? stream.getAudioTracks()[0] : (screenTrack || cameraTrack);
        if (replacement) sender.replaceTrack(replacement);
      });
    }
    if (previous && previous !== stream) {
      previous.getTracks().forEach(function (track) { track.stop(); });
    }
    applyControls();
  }

  function startMeter(stream) {
    if (meterFrame) cancelAnimationFrame(meterFrame);
    var track = stream.getAudioTracks()[0];
    if (!track) return;
    audioContext = audioContext || new (window.AudioContext || window.webkitAudioContext)();
    var source = audioContext.createMediaStreamSource(new MediaStream([track]));
    var analyser = audioContext.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    var samples = new Uint8Array(analyser.fftSize);
    var meter = $("mic-level");
    var last = 0;
    function draw(now) {
      meterFrame = requestAnimationFrame(draw);
      if (now - last < 100) return;
      last = now;
      analyser.getByteTimeDomainData(samples);
      var sum = 0;
      for (var i = 0; i < samples.length; i++) {
        var v = (samples[i] - 128) / 128;
        sum += v * v;
      }
      meter.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
    }
    meterFrame = requestAnimationFrame(draw);
    if (audioContext.state === "suspended") audioContext.resume().catch(function () {});
  }

  async function fillPickers() {
    var devices = await navigator.mediaDevices.enumerateDevices();
    var kinds = { videoinput: "camera-select", audioinput: "mic-select", audiooutput: "speaker-select" };
    var current = {
      videoinput: cameraTrack && cameraTrack.getSettings().deviceId,
      audioinput: localStream && localStream.getAudioTracks()[0] && localStream.getAudioTracks()[0].getSettings().deviceId,
      audiooutput: $("speaker-select").value,
    };
    Object.keys(kinds).forEach(function (kind) {
      var select = $(kinds[kind]);
      select.innerHTML = "";
      devices.filter(function (d) { return d.kind === kind; }).forEach(function (device, index) {
        var option = document.createElement("option");
        option.value = device.deviceId;
        option.textContent = device.label || kind + " " + (index + 1);
        if (device.deviceId === current[kind]) option.selected = true;
        select.appendChild(option);
      });
    });
    // Choosing the speaker is possible only where the browser supports it.
    $("speaker-field").hidden = !("setSinkId" in HTMLMediaElement.prototype) || !$("speaker-select").options.length;
  }

  $("camera-select").addEventListener("change", startDevices);
  $("mic-select").addEventListener("change", startDevices);
  $("speaker-select").addEventListener("change", function () {
    var video = $("remote-video");
    if (video.setSinkId) video.setSinkId($("speaker-select").value).catch(function () {});
  });
  $("test-button").addEventListener("click", startDevices);
  $("join-button").addEventListener("click", joinCall);
  $("rejoin-button").addEventListener("click", function () { window.location.reload(); });

  // ---------------------------------------------------------------- signalling

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  function joinCall() {
    $("device-check").hidden = true;
    $("call").hidden = false;
    $("mute-button").focus();
    if (navigator.mediaDevices.getDisplayMedia) $("share-button").hidden = false;
    setStatus(t.waiting);
    connect();
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    ws = new WebSocket(scheme + window.location.host + config.ws_path);
    ws.onopen = function () {
      backoff = 500;
      send({ type: "hello" });
      sendState();
    };
    ws.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      handle(message).catch(function (error) { console.warn("signalling", error); });
    };
    ws.onclose = function (event) {
      if (leaving || stopped) return;
      if (event.code === 4403) return stop(t.refused);
      if (event.code === 4503) {
        setStatus(t.unavailable);
        setTimeout(connect, 10000);
        return;
      }
      if (event.code === 4409) return;
      setStatus(t.reconnecting);
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 8000);
    };
  }

  async function handle(message) {
    switch (message.type) {
      case "hello":
        peerLeft = false;
        // The other one has (re)joined: start afresh.
        if (isOfferer) await startCall();
        else send({ type: "here" });
        sendState();
        break;
      case "here":
        peerLeft = false;
        if (isOfferer) await startCall();
        sendState();
        break;
      case "offer":
        await onOffer(message);
        break;
      case "answer":
        if (pc && message.gen === gen) {
          await pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
          flushCandidates();
        }
        break;
      case "candidate":
        if (!pc || message.gen !== gen) break;
        if (pc.remoteDescription) await pc.addIceCandidate(message.candidate).catch(function () {});
        else pendingCandidates.push(message.candidate);
        break;
      case "restart":
        if (isOfferer && pc) await restartIce();
        break;
      case "state":
        showRemoteState(message);
        break;
      case "bye":
        peerLeft = true;
        closePeer();
        setStatus(t.peer_left + " " + t.waiting);
        break;
      case "gone":
        // Their signalling dropped; the media may still flow, so the call stays.
        if (peerLeft) break;
        setStatus(inCall ? t.peer_reconnecting : t.waiting);
        break;
      case "unavailable":
        setStatus(t.unavailable);
        break;
      case "replaced":
        stop(t.replaced);
        break;
      case "error":
        console.warn("signalling refused a message:", message.message);
        break;
    }
  }

  // ---------------------------------------------------------------- the call

  function newPeer(generation) {
    closePeer();
    gen = generation;
    pendingCandidates = [];
    pc = new RTCPeerConnection({ iceServers: config.ice_servers });
    var connection = pc;
    localStream.getAudioTracks().forEach(function (track) { connection.addTrack(track, localStream); });
    var video = screenTrack || cameraTrack;
    if (video) connection.addTrack(video, localStream);
    else connection.addTransceiver("video", { direction: "recvonly" });

    connection.ontrack = function (event) {
      var remote = $("remote-video");
      var stream = event.streams[0] || new MediaStream([event.track]);
      if (remote.srcObject !== stream) remote.srcObject = stream;
    };
    connection.onicecandidate = function (event) {
      if (event.candidate && connection === pc) {
        send({ type: "candidate", gen: generation, candidate: event.candidate.toJSON() });
      }
    };
    connection.oniceconnectionstatechange = function () {
      if (connection !== pc) return;
      var state = connection.iceConnectionState;
      clearTimeout(disconnectTimer);
      if (state === "connected" || state === "completed") {
        inCall = true;
        setStatus(t.connected);
        startStats();
      } else if (state === "disconnected") {
        setStatus(t.reconnecting);
        // Often it comes back by itself; if not, restart ICE.
        disconnectTimer = setTimeout(requestRestart, 4000);
      } else if (state === "failed") {
        requestRestart();
      }
    };
    connection.ondatachannel = function (event) { setupChat(event.channel); };
    if (isOfferer) setupChat(connection.createDataChannel("chat"));
    setStatus(t.connecting);
    return connection;
  }

  async function startCall() {
    var connection = newPeer(Math.max(Date.now(), gen + 1));
    var offer = await connection.createOffer();
    if (connection !== pc) return;
    await connection.setLocalDescription(offer);
    send({ type: "offer", gen: gen, sdp: connection.localDescription.sdp });
  }

  async function onOffer(message) {
    if (isOfferer) return;
    if (!pc || message.gen !== gen) newPeer(message.gen);
    var connection = pc;
    await connection.setRemoteDescription({ type: "offer", sdp: message.sdp });
    flushCandidates();
    var answer = await connection.createAnswer();
    if (connection !== pc) return;
    await connection.setLocalDescription(answer);
    send({ type: "answer", gen: gen, sdp: connection.localDescription.sdp });
  }

  function flushCandidates() {
    var queued = pendingCandidates;
    pendingCandidates = [];
    queued.forEach(function (candidate) { pc.addIceCandidate(candidate).catch(function () {}); });
  }

  function requestRestart() {
    if (isOfferer) restartIce();
    else send({ type: "restart" });
  }

  async function restartIce() {
    if (!pc) return;
    var connection = pc;
    var offer = await connection.createOffer({ iceRestart: true });
    if (connection !== pc) return;
    await connection.setLocalDescription(offer);
    send({ type: "offer", gen: gen, sdp: connection.localDescription.sdp });
  }

  function closePeer() {
    clearInterval(statsTimer);
    clearTimeout(disconnectTimer);
    inCall = false;
    if (chat) { chat.close(); chat = null; }
    setChatEnabled(false);
    if (pc) { pc.close(); pc = null; }
    $("remote-video").srcObject = null;
    $("remote-state").innerHTML = "";
    $("quality").textContent = "";
  }

  function stop(message) {
    stopped = true;
    closePeer();
    if (ws) ws.close();
    $("call").hidden = true;
    $("left").hidden = false;
    $("left-message").textContent = message;
  }

  $("leave-button").addEventListener("click", function () {
    leaving = true;
    send({ type: "bye" });
    closePeer();
    if (ws) ws.close();
    if (localStream) localStream.getTracks().forEach(function (track) { track.stop(); });
    $("call").hidden = true;
    $("left").hidden = false;
    $("left-message").textContent = t.you_left;
    $("rejoin-button").focus();
  });

  // ---------------------------------------------------------------- controls

  function audioTrack() { return localStream && localStream.getAudioTracks()[0]; }

  function applyControls() {
    var mic = audioTrack();
    var muted = mic ? !mic.enabled : true;
    $("mute-button").textContent = muted ? t.unmute : t.mute;
    $("mute-button").setAttribute("aria-pressed", String(muted));
    var cameraOff = !cameraTrack || !cameraTrack.enabled;
    $("camera-button").textContent = cameraOff ? t.camera_on : t.camera_off;
    $("camera-button").setAttribute("aria-pressed", String(cameraOff));
    $("camera-button").disabled = !cameraTrack;
    $("share-button").textContent = screenTrack ? t.stop_share : t.share;
  }

  function sendState() {
    var mic = audioTrack();
    send({
      type: "state",
      audio: Boolean(mic && mic.enabled),
      video: Boolean((cameraTrack && cameraTrack.enabled) || screenTrack) && !audioOnly,
      audioOnly: audioOnly,
      screen: Boolean(screenTrack),
    });
  }

  $("mute-button").addEventListener("click", function () {
    var mic = audioTrack();
    if (!mic) return;
    mic.enabled = !mic.enabled;
    applyControls();
    sendState();
  });

  $("camera-button").addEventListener("click", function () {
    if (!cameraTrack) return;
    cameraTrack.enabled = !cameraTrack.enabled;
    applyControls();
    sendState();
  });

  function videoSender() {
    if (!pc) return null;
    return pc.getSenders().find(function (s) { return s.track ? s.track.kind === "video" : false; }) ||
      pc.getTransceivers().map(function (x) { return x.sender; }).find(function (s) { return !s.track; }) || null;
  }

  $("share-button").addEventListener("click", async function () {
    if (screenTrack) return stopSharing();
    try {
      var display = await navigator.mediaDevices.getDisplayMedia({ video: true });
      screenTrack = display.getVideoTracks()[0];
      screenTrack.onended = stopSharing;
      var sender = videoSender();
      if (sender) await sender.replaceTrack(screenTrack);
      $("local-video").srcObject = display;
    } catch (e) {
      screenTrack = null;
    }
    applyControls();
    sendState();
  });

  function stopSharing() {
    if (!screenTrack) return;
    screenTrack.stop();
    screenTrack = null;
    var sender = videoSender();
    if (sender) sender.replaceTrack(audioOnly ? null : cameraTrack);
    $("local-video").srcObject = localStream;
    applyControls();
    sendState();
  }

  function showRemoteState(state) {
    var list = $("remote-state");
    list.innerHTML = "";
    function add(text) {
      var item = document.createElement("li");
      item.textContent = text;
      list.appendChild(item);
    }
    if (!state.audio) add(t.peer_muted);
    if (state.audioOnly) add(t.peer_audio_only);
    else if (!state.video) add(t.peer_camera_off);
  }

  // ---------------------------------------------------------------- quality

  function startStats() {
    clearInterval(statsTimer);
    var lastLost = 0;
    var lastReceived = 0;
    statsTimer = setInterval(async function () {
      if (!pc) return;
      var report = await pc.getStats();
      var rtt = null;
      var lost = 0;
      var received = 0;
      var bandwidthLimited = false;
      report.forEach(function (s) {
        if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") {
          rtt = s.currentRoundTripTime;
        }
        if (s.type === "inbound-rtp") {
          lost += s.packetsLost || 0;
          received += s.packetsReceived || 0;
        }
        if (s.type === "outbound-rtp" && s.kind === "video" && s.qualityLimitationReason === "bandwidth") {
          bandwidthLimited = true;
        }
      });
      var newLost = lost - lastLost;
      var newReceived = received - lastReceived;
      lastLost = lost;
      lastReceived = received;
      var lossRate = newLost + newReceived > 0 ? newLost / (newLost + newReceived) : 0;
      var quality = "good";
      if ((rtt !== null && rtt > 0.6) || lossRate > 0.08) quality = "poor";
      else if ((rtt !== null && rtt > 0.3) || lossRate > 0.03 || bandwidthLimited) quality = "fair";
      noteQuality(quality);
    }, 2000);
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
    var sender = videoSender();
    if (sender) sender.replaceTrack(null);
    setStatus(t.audio_only);
    $("video-retry-button").hidden = false;
    sendState();
  }

  $("video-retry-button").addEventListener("click", function () {
    audioOnly = false;
    poorChecks = 0;
    var sender = videoSender();
    if (sender) sender.replaceTrack(screenTrack || cameraTrack);
    $("video-retry-button").hidden = true;
    setStatus(t.connected);
    sendState();
  });

  // ---------------------------------------------------------------- chat

  function setChatEnabled(enabled) {
    $("chat-input").disabled = !enabled;
    $("chat-form").querySelector("button").disabled = !enabled;
  }

  function addChatLine(who, text) {
    var item = document.createElement("li");
    var name = document.createElement("strong");
    name.textContent = who + ": ";
    item.appendChild(name);
    item.appendChild(document.createTextNode(text));
    $("chat-log").appendChild(item);
  }

  function setupChat(channel) {
    chat = channel;
    channel.onopen = function () { setChatEnabled(true); };
    channel.onclose = function () { setChatEnabled(false); };
    channel.onmessage = function (event) {
      if (typeof event.data === "string") addChatLine(config.other_name, event.data.slice(0, 1000));
    };
  }

  $("chat-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = $("chat-input");
    var text = input.value.trim().slice(0, 1000);
    if (!text || !chat || chat.readyState !== "open") return;
    chat.send(text);
    addChatLine(t.you, text);
    input.value = "";
  });

  function setStatus(text) { $("call-status").textContent = text; }

  if (!navigator.mediaDevices || !window.RTCPeerConnection) {
    showDeviceError({ name: "SecurityError" });
  } else {
    startDevices();
  }
})();
