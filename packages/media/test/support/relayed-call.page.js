// Runs inside Chromium (page.evaluate): two RTCPeerConnections in one page call each other.
// Every description and candidate goes out through window.relaySignal (the test's Node side,
// which applies the gateway's signal rules) and comes back as the data the partner would get.
// A canvas stream stands in for the camera.
async ({ iceA, iceB, policy }) => {
  const a = new RTCPeerConnection({ iceServers: iceA, iceTransportPolicy: policy });
  const b = new RTCPeerConnection({ iceServers: iceB, iceTransportPolicy: policy });
  window.peers = { a, b };
  const inbox = { a: Promise.resolve(), b: Promise.resolve() };
  let outbox = Promise.resolve();
  const handle = async (pc, data) => {
    if ('candidate' in data) return pc.addIceCandidate(data);
    await pc.setRemoteDescription(data);
    if (data.type === 'offer') {
      await pc.setLocalDescription();
      send('b', pc.localDescription.toJSON());
    }
  };
  // In order, as the gateway's inbox path keeps them.
  const send = (from, data) => {
    outbox = outbox.then(async () => {
      const relayed = await window.relaySignal(from, JSON.stringify(data));
      if (relayed === null) return;
      const to = from === 'a' ? 'b' : 'a';
      inbox[to] = inbox[to].then(() => handle(window.peers[to], JSON.parse(relayed)));
    });
  };
  a.onicecandidate = (event) => event.candidate && send('a', event.candidate.toJSON());
  b.onicecandidate = (event) => event.candidate && send('b', event.candidate.toJSON());

  const canvas = document.createElement('canvas');
  canvas.width = 320;
  canvas.height = 240;
  const context = canvas.getContext('2d');
  let frame = 0;
  setInterval(() => {
    frame += 1;
    context.fillStyle = `hsl(${(frame * 7) % 360} 80% 50%)`;
    context.fillRect(0, 0, 320, 240);
  }, 40);
  const stream = canvas.captureStream(25);
  a.addTrack(stream.getVideoTracks()[0], stream);
  b.ontrack = (event) => {
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    video.srcObject = event.streams[0];
    document.body.append(video);
    video.play().catch(() => {});
  };
  await a.setLocalDescription(await a.createOffer());
  send('a', a.localDescription.toJSON());
};
