// Test double for the background (the real one needs the vault and the wasm package): answers
// every MFA step with the fixed code 123456 and auto-submit, and records what it was sent so the
// test can check that nothing was asked from lookalike hosts, http pages or frames.
globalThis.received = [];
chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  globalThis.received.push({ message, url: sender.url, frameId: sender.frameId });
  if (message?.type === 'tessera:mfa-step-shown') {
    sendResponse({ type: 'tessera:fill-code', code: '123456', autoSubmit: true });
  }
  return false;
});
