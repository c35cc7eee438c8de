// Polls the job's JSON status and opens the fact-check when it is done; text goes in with textContent only.
const job = document.getElementById("job");

async function poll() {
  const response = await fetch(job.dataset.status, { headers: { Accept: "application/json" } });
  const status = await response.json();
  document.getElementById("state").textContent = status.state;
  document.getElementById("elapsed").textContent = status.elapsed.toFixed(1);
  if (status.state === "done" && status.check_id !== null) {
    window.location.assign(`/checks/${status.check_id}`);
  } else if (status.state === "done") {
    document.getElementById("progress").remove();
    document.getElementById("summary").textContent = status.summary;
  } else if (status.state === "failed") {
    document.getElementById("progress").remove();
    document.getElementById("error").textContent = status.error;
  } else {
    setTimeout(poll, 500);
  }
}

poll();
