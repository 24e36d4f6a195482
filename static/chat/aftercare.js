// After a chat an agent answered has ended: the visitor may rate it 1–5 with an optional comment
// (POST /api/v1/visitor/chats/{id}/rating/; rating again replaces it) and ask for the transcript
// by e-mail (POST /api/v1/visitor/chats/{id}/transcript-email/, 202).
import { api, ApiError } from "../common/api.js";
import { gettext, interpolate } from "../common/i18n.js";

const CHOICES = {
  1: gettext("Very poor"),
  2: gettext("Poor"),
  3: gettext("Okay"),
  4: gettext("Good"),
  5: gettext("Excellent"),
};

function failureText(failure, fallback) {
  if (failure instanceof ApiError) {
    const body = failure.body || {};
    if (failure.status === 400) {
      const fields = ["score", "comment"].flatMap((name) => [].concat(body[name] || []));
      if (fields.length) return fields.join(" ");
    }
    if (body.detail) return body.detail;
  }
  return fallback;
}

// `rating`: the rating given earlier ({score, comment}, from GET /api/v1/visitor/chats/{id}/ after
// a reload), or null.
export function showAfterChat(session, rating = null) {
  const section = document.getElementById("after-chat");
  if (!section.hidden) return;
  const headers = { "X-Visitor-Token": session.token };
  const base = `/api/v1/visitor/chats/${session.chatId}`;
  const form = document.getElementById("rating-form");
  const error = document.getElementById("rating-error");
  const done = document.getElementById("rating-done");
  const choice = document.getElementById("rating-choice");
  const transcript = document.getElementById("transcript-email");
  const transcriptStatus = document.getElementById("transcript-status");

  function showError(text) {
    error.textContent = text;
    error.hidden = !text;
  }

  function showChoice() {
    const checked = form.querySelector("input[name=score]:checked");
    const score = checked ? Number(checked.value) : 0;
    for (const input of form.querySelectorAll("input[name=score]")) {
      input.closest(".star").classList.toggle("lit", Number(input.value) <= score);
    }
    choice.textContent = score ? CHOICES[score] : "";
  }

  form.addEventListener("change", () => {
    showChoice();
    showError("");
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const checked = form.querySelector("input[name=score]:checked");
    if (!checked) {
      showError(gettext("Please choose from 1 to 5 stars."));
      form.querySelector("input[name=score]").focus();
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    showError("");
    try {
      const comment = form.elements.comment.value.trim();
      await api("POST", `${base}/rating/`, { score: Number(checked.value), ...(comment ? { comment } : {}) }, headers);
      done.textContent = interpolate(gettext("Thank you for your rating (%(score)s of 5)."), { score: checked.value });
      button.textContent = gettext("Change rating");
    } catch (failure) {
      showError(failureText(failure, gettext("We could not save your rating. Please try again.")));
    } finally {
      button.disabled = false;
    }
  });

  transcript.addEventListener("click", async () => {
    transcript.disabled = true;
    transcriptStatus.classList.remove("error");
    transcriptStatus.textContent = gettext("Sending…");
    try {
      const sent = await api("POST", `${base}/transcript-email/`, {}, headers);
      const email = (sent && sent.email) || session.email;
      transcriptStatus.textContent = email
        ? interpolate(gettext("We are sending the transcript to %(email)s."), { email })
        : gettext("We are sending the transcript to your e-mail address.");
    } catch (failure) {
      transcriptStatus.classList.add("error");
      transcriptStatus.textContent = failureText(
        failure,
        gettext("We could not send the transcript. Please try again."),
      );
      transcript.disabled = false;
    }
  });

  if (rating && rating.score) {
    const given = form.querySelector(`input[name=score][value="${Number(rating.score)}"]`);
    if (given) given.checked = true;
    form.elements.comment.value = rating.comment || "";
    form.querySelector("button[type=submit]").textContent = gettext("Change rating");
    done.textContent = interpolate(gettext("You rated this chat %(score)s of 5."), { score: Number(rating.score) });
    showChoice();
  }
  section.hidden = false;
}
