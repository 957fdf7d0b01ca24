/* Read-aloud in the elder mode: a "Read aloud" button after every element marked
   data-read-aloud (a comment, a need, the decision and its rationale), spoken by the
   browser's own speech synthesis in the page's language. The attribute's value, if any, is
   said first (who wrote the comment, say). Where the device has no voice for the language,
   the button says so instead of staying silent. Comments that arrive live get their button
   too. */
(function () {
  "use strict";

  const root = document.documentElement;
  if (!root.classList.contains("large-text")) return;
  const text = document.body.dataset;
  const language = (root.lang || "zh-CN").toLowerCase();
  const wanted = language.startsWith("zh") ? "zh" : "en";
  let speaking = null;  // the button whose text is being read

  function voiceFor(voices) {
    const ours = voices.filter((voice) => voice.lang.toLowerCase().replace("_", "-").startsWith(wanted));
    return ours.find((voice) => voice.lang.toLowerCase().replace("_", "-") === language) || ours[0] || null;
  }

  /* The device's voices: some browsers list them only after a "voiceschanged" event. */
  function voices() {
    const synth = window.speechSynthesis;
    const now = synth.getVoices();
    if (now.length) return Promise.resolve(now);
    return new Promise((resolve) => {
      const done = () => resolve(synth.getVoices());
      synth.addEventListener("voiceschanged", done, { once: true });
      setTimeout(done, 1500);
    });
  }

  function say(button, message) {
    let status = button.nextElementSibling;
    if (!status || !status.classList.contains("read-aloud-status")) {
      status = document.createElement("span");
      status.className = "read-aloud-status";
      status.setAttribute("role", "status");
      status.dataset.testid = "read-aloud-status";
      button.after(status);
    }
    status.textContent = message;
  }

  function stopped(button) {
    button.setAttribute("aria-pressed", "false");
    button.querySelector("[data-role=label]").textContent = text.labelReadAloud;
    if (speaking === button) speaking = null;
  }

  async function read(button, target) {
    const synth = window.speechSynthesis;
    if (speaking === button) { synth.cancel(); stopped(button); return; }
    if (!synth || typeof window.SpeechSynthesisUtterance !== "function") {
      say(button, text.labelReadAloudNoSpeech);
      return;
    }
    const voice = voiceFor(await voices());
    if (!voice) { say(button, text.labelReadAloudNoVoice); return; }
    synth.cancel();
    if (speaking) stopped(speaking);
    const lead = target.dataset.readAloud;
    const words = (lead ? lead + " " : "") + target.innerText.trim();
    const utterance = new window.SpeechSynthesisUtterance(words);
    utterance.voice = voice;
    utterance.lang = voice.lang;
    utterance.rate = 0.9;  // a little slower than the default, for older listeners
    utterance.addEventListener("end", () => stopped(button));
    utterance.addEventListener("error", () => stopped(button));
    speaking = button;
    button.setAttribute("aria-pressed", "true");
    button.querySelector("[data-role=label]").textContent = text.labelReadAloudStop;
    synth.speak(utterance);
  }

  function attach(target) {
    if (target.readAloudButton) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button small read-aloud";
    button.dataset.testid = "read-aloud";
    button.setAttribute("aria-pressed", "false");
    const icon = document.createElement("span");
    icon.setAttribute("aria-hidden", "true");
    icon.textContent = "🔊 ";
    const label = document.createElement("span");
    label.dataset.role = "label";
    label.textContent = text.labelReadAloud;
    button.append(icon, label);
    button.addEventListener("click", () => read(button, target));
    target.readAloudButton = button;
    target.after(button);
  }

  function attachWithin(node) {
    if (node.nodeType !== Node.ELEMENT_NODE) return;
    if (node.matches("[data-read-aloud]")) attach(node);
    node.querySelectorAll("[data-read-aloud]").forEach(attach);
  }

  attachWithin(document.body);
  new MutationObserver((changes) => {
    for (const change of changes) change.addedNodes.forEach(attachWithin);
  }).observe(document.body, { childList: true, subtree: true });
})();
