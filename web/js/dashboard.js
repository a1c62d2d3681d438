// The dashboard: wires the panels to their live connections and shows their state:
// /hubs/progress for scans, /hubs/job-progress for the announcement of scans started elsewhere,
// and the /ws event socket (seed 003's job events) for the job queue. After every (re)connect the
// page asks for every active scan (GetActiveScans) and renders them all before subscribing, so a
// reload or a reconnect never shows an empty bar (issue 6, item 4); the job queue reloads its
// snapshot after every (re)connect of /ws. main.js starts it once the page may show it (at once
// with authentication off, after sign-in with it on) and stops it at sign-out.
import { $, api, throttle } from './dom.js';
import { EventSocket } from './event_socket.js';
import { openHub } from './hub.js';
import { JobsPanel } from './jobs.js';
import { LibrariesPanel } from './libraries.js';
import { ScansPanel } from './scans.js';
import { session } from './session.js';
import { StorageBanner } from './storage.js';

const hubStates = { progress: 'connecting', jobs: 'connecting', events: 'connecting' };
const STATE_TEXT = {
  connected: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  disconnected: 'Disconnected, retrying…',
};
const ORDER = ['disconnected', 'reconnecting', 'connecting', 'connected'];

let everConnected = false;
function showConnection() {
  const worst = ORDER.find((s) => Object.values(hubStates).includes(s));
  const el = $('#connection');
  el.dataset.state = worst;
  $('#connection-text').textContent = STATE_TEXT[worst];
  const offline = worst !== 'connected';
  document.body.classList.toggle('offline', offline);
  // After the first connection, a lost one gets a banner: the scan figures stop moving and a
  // person should know why (the dot in the corner is easy to miss). Not a live region: the
  // status line above already announces the change.
  const banner = $('#offline');
  if (offline && everConnected && banner.hidden) {
    $('#offline-since').textContent = new Date().toLocaleTimeString();
    banner.hidden = false;
  } else if (!offline) {
    banner.hidden = true;
    everConnected = true;
  }
}

/**
 * Starts the dashboard: its panels, both hub connections, the /ws socket and the timers that
 * refresh the libraries and the storage banner. Called once per page; when `signal` (an
 * AbortSignal) aborts, the connections close for good and the timers stop (sign-out).
 */
export function startDashboard(signal) {
  const isConnected = (connection) => connection?.state === signalR.HubConnectionState.Connected;
  let progressHub = null;
  const requestedScan = new URLSearchParams(location.search).get('scan');
  let firstConnect = true;

  const libraries = new LibrariesPanel($('#libraries'), {
    onScanStarted: async (scanId) => {
      history.replaceState(null, '', `?scan=${encodeURIComponent(scanId)}`);
      await scans.watch(scanId);
    },
    onScanSettled: (scanId, scan) => scans.settle(scanId, scan),
    beforeRemove: (libraryId) => scans.detachLibrary(libraryId),
  });
  const scans = new ScansPanel($('#scan-list'), {
    connectionFor: () => (isConnected(progressHub) ? progressHub : null),
    onScanEnded: () => { libraries.refresh(); jobs.refresh(); },
    libraryType: (id) => libraries.typeOf(id),
  });
  const jobs = new JobsPanel($('#jobs'));

  // A scan started elsewhere (another tab, the watcher, `scanhub scan`) is announced to every
  // connection of /hubs/job-progress; look for new active scans then, and show the announced
  // ones by id too: a small incremental scan can end before the throttled look.
  const announcedScans = new Set();
  const resyncScans = throttle(() => {
    const announced = [...announcedScans];
    announcedScans.clear();
    if (isConnected(progressHub)) scans.resync(progressHub, announced).catch((err) => console.warn(err.message));
    libraries.refresh();
  }, 1000);
  const onBroadcast = (notification) => {
    const data = notification?.data;
    if (data?.jobType === 'LibraryScan' && data.jobId) announcedScans.add(String(data.jobId));
    resyncScans();
  };

  progressHub = openHub('/hubs/progress', {
    signal,
    handlers: scans.handlers(),
    onState: (state) => { hubStates.progress = state; showConnection(); },
    onConnected: async (connection) => {
      await scans.resync(connection, requestedScan ? [requestedScan] : []);
      if (firstConnect && scans.views.size === 0) {
        // Nothing running: show the most recent scan's summary, so the page says what happened last.
        const [latest] = await api('GET', '/api/scans');
        if (latest) await scans.watch(latest.scanId);
      }
      firstConnect = false;
      libraries.refresh();
    },
  });
  openHub('/hubs/job-progress', {
    signal,
    handlers: {
      BroadcastNotification: onBroadcast,
      Error: (error) => console.warn(`job hub: ${error?.message || error}`),
    },
    onState: (state) => { hubStates.jobs = state; showConnection(); },
  });

  const events = new EventSocket('/ws', { accessToken: () => session.token() });
  jobs.follow(events);
  events.onStateChange((state) => {
    hubStates.events = state;
    showConnection();
    // A socket refused or closed for an expired token only says that it closed.
    if (state === 'disconnected' && !signal.aborted) session.check();
  });
  events.connect();

  libraries.refresh();
  jobs.refresh();
  const timers = [setInterval(() => { if (document.visibilityState === 'visible') libraries.refresh(); }, 10000)];
  // The job queue paused by a full disk (or a damaged database) is said in a banner, with why.
  const storage = new StorageBanner($('#storage'));
  storage.refresh();
  timers.push(setInterval(() => { if (document.visibilityState === 'visible') storage.refresh(); }, 3000));

  signal.addEventListener('abort', () => {
    for (const timer of timers) clearInterval(timer);
    events.close();
  }, { once: true });
}
