// Index: live and upcoming shows. Every string from the server goes in as textContent.
const res = await fetch("/api/shows");
const shows = res.ok ? await res.json() : [];
for (const status of ["live", "scheduled"]) {
  const list = document.getElementById(status === "live" ? "live" : "upcoming");
  const chosen = shows.filter((s) => s.status === status);
  if (!chosen.length) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = status === "live" ? "No show is live right now." : "Nothing scheduled.";
    list.append(li);
  }
  for (const show of chosen) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = `/watch/${encodeURIComponent(show.id)}`;
    a.textContent = show.title;
    const seller = document.createElement("span");
    seller.className = "seller";
    seller.textContent = show.seller;
    li.append(a, " ", seller);
    list.append(li);
  }
}
