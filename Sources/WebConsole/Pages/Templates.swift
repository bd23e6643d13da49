/// The console's Mustache templates. Each page is the layout around a body; data comes from the
/// server (who is signed in, the CSRF token, the manifest) and from the API (lists, live state).
enum Templates {
    static let layout = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="csrf-token" content="{{csrf}}">
        <title>{{title}} · Orchestrator ETL</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:0;color:#222}header{background:#223;color:#fff;padding:.6em 1em}
        header a{color:#fff;margin-right:1em}main{padding:1em}table{border-collapse:collapse;width:100%}
        td,th{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;font-size:.9em}
        .bad{color:#b00}.ok{color:#070}pre{background:#f6f6f6;padding:.6em;overflow:auto}
        textarea{width:100%;height:18em;font-family:monospace}.muted{color:#777}
        </style></head><body>
        <header><a href="/">Pipelines</a>{{#admin}}<a href="/new">New pipeline</a><a href="/users">Users</a>{{/admin}}<a href="/audit">Audit</a>
        <span style="float:right">{{user}} ({{role}}) <a href="#" id="logout">sign out</a></span></header>
        <main>{{{body}}}</main>
        <script>
        const csrf = document.querySelector('meta[name=csrf-token]').content;
        async function api(method, path, body, raw) {
          const headers = {'X-CSRF-Token': csrf};
          if (body !== undefined && !raw) headers['Content-Type'] = 'application/json';
          const r = await fetch('/api/v1' + path, {method, headers, body: raw ? body : (body === undefined ? undefined : JSON.stringify(body))});
          const text = await r.text();
          const data = text ? JSON.parse(text) : null;
          if (!r.ok) throw Object.assign(new Error(data && data.error || r.statusText), {status: r.status, data});
          return data;
        }
        function esc(s) { return String(s ?? '').replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c])); }
        document.getElementById('logout').onclick = async e => { e.preventDefault(); await api('POST', '/logout'); location = '/login'; };
        </script>
        {{{script}}}
        </body></html>
        """

    static let login = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Sign in · Orchestrator ETL</title></head>
        <body style="font-family:system-ui,sans-serif;max-width:22em;margin:4em auto">
        <h1>Orchestrator ETL</h1>
        <form id="login"><p><label>User <input name="user" id="user" autocomplete="username" required></label></p>
        <p><label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label></p>
        <p><button type="submit" id="signin">Sign in</button></p><p id="error" style="color:#b00"></p></form>
        <script>
        document.getElementById('login').onsubmit = async e => {
          e.preventDefault();
          const r = await fetch('/api/v1/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({user: document.getElementById('user').value, password: document.getElementById('password').value})});
          if (r.ok) { location = '/'; } else { document.getElementById('error').textContent = (await r.json()).error; }
        };
        </script></body></html>
        """

    static let pipelines = """
        <h1>Pipelines</h1>
        <p><label>Label <input id="label" placeholder="team=finance"></label></p>
        <table><thead><tr><th>Name</th><th>Source</th><th>Ready</th><th>Pending</th><th>Running</th><th>Succeeded</th>
        <th>Failed</th><th>Quarantined</th><th>Last run</th></tr></thead><tbody id="rows"></tbody></table>
        """

    static let pipelinesScript = """
        <script>
        let all = [];
        function render() {
          const label = document.getElementById('label').value.split('=');
          document.getElementById('rows').innerHTML = all.filter(p => !label[0] || (label.length > 1 ? p.labels[label[0]] === label[1] : label[0] in p.labels)).map(p => `<tr>
            <td><a href="/pipelines/${encodeURIComponent(p.name)}">${esc(p.name)}</a></td>
            <td>${p.source === 'database' ? 'database v' + p.version : 'git ' + esc(p.file)}</td>
            <td class="${p.ready ? 'ok' : 'bad'}" title="${esc(p.message)}">${p.ready ? 'Ready' : 'Not ready'}: ${esc(p.reason)}</td>
            <td>${p.counts.pending}</td><td>${p.counts.running}</td><td>${p.counts.succeeded}</td><td>${p.counts.failed}</td><td>${p.counts.quarantined}</td>
            <td>${p.last_run ? esc(p.last_run.outcome || 'running') + ' ' + esc(p.last_run.started_at) : ''}</td></tr>`).join('');
        }
        document.getElementById('label').oninput = render;
        api('GET', '/pipelines').then(p => { all = p; render(); });
        new EventSource('/api/v1/events').addEventListener('pipelines', e => { all = JSON.parse(e.data); render(); });
        </script>
        """

    static let pipeline = """
        <h1 id="page" data-page="{{pageJSON}}">{{name}}</h1>
        <p id="status"></p>
        <p id="controls"></p>
        {{#editable}}{{#admin}}<h2>Edit</h2>
        <textarea id="text">{{text}}</textarea>
        <p><button id="check">Check and preview the plan</button> <button id="save">Save</button>
        <button id="delete">Delete</button></p>
        <div id="problems" class="bad"></div><pre id="plan"></pre>
        {{/admin}}{{/editable}}
        {{^editable}}<p class="muted">Managed by git: {{file}} (read-only; change it in git).</p>{{/editable}}
        {{^admin}}<h2>Manifest</h2><pre>{{text}}</pre>{{/admin}}
        {{#uploader}}<h2>Upload a file</h2><p><input type="file" id="upload"> <span id="uploaded"></span></p>{{/uploader}}
        <h2>Files</h2><p><input id="search" placeholder="name or hash"> <select id="state"><option value="">any state</option>
        <option>pending</option><option>running</option><option>succeeded</option><option>failed</option><option>quarantined</option></select>
        <span id="total"></span> <button id="prev">‹</button> <button id="next">›</button></p>
        <table><thead><tr><th>Name</th><th>State</th><th>Attempts</th><th>Last seen</th><th>Last error</th><th>SHA-256</th><th></th></tr></thead>
        <tbody id="files"></tbody></table>
        <h2>Runs</h2><table><thead><tr><th>Started</th><th>Duration</th><th>Outcome</th><th>Exit code</th><th>File</th><th>Log tail</th></tr></thead>
        <tbody id="runs"></tbody></table>
        {{#editable}}<h2>History</h2><div id="history"></div>{{/editable}}
        """

    static let pipelineScript = """
        <script>
        const data = JSON.parse(document.getElementById('page').dataset.page);
        const name = data.name; const path = '/pipelines/' + encodeURIComponent(name);
        let version = data.version; let page = 1; const operator = data.operator; const admin = data.admin;
        async function files() {
          const q = new URLSearchParams({page, size: 50, search: document.getElementById('search').value, state: document.getElementById('state').value});
          const r = await api('GET', path + '/files?' + q);
          document.getElementById('total').textContent = r.total + ' contents, page ' + r.page;
          document.getElementById('files').innerHTML = r.files.map(f => `<tr data-sha="${f.sha256}"><td>${esc(f.path)}</td><td class="state">${f.state}</td><td>${f.attempts}</td>
            <td>${esc(f.last_seen)}</td><td>${esc(f.last_error)}</td><td><code>${f.sha256.slice(0, 12)}</code></td>
            <td>${operator && (f.state === 'failed' || f.state === 'quarantined') ? `<button class="retry" data-sha="${f.sha256}">Retry</button>` : ''}
            ${operator && f.state !== 'running' ? `<button class="forget" data-sha="${f.sha256}">Forget</button>` : ''}</td></tr>`).join('');
          document.querySelectorAll('.retry').forEach(b => b.onclick = async () => { await api('POST', path + '/files/' + b.dataset.sha + '/retry'); refresh(); });
          document.querySelectorAll('.forget').forEach(b => b.onclick = async () => { await api('POST', path + '/files/' + b.dataset.sha + '/forget'); refresh(); });
        }
        async function runs() {
          const r = await api('GET', path + '/runs?limit=20');
          document.getElementById('runs').innerHTML = r.map(x => `<tr><td>${esc(x.started_at)}</td><td>${x.duration_seconds == null ? '' : x.duration_seconds.toFixed(2) + ' s'}</td>
            <td>${esc(x.outcome || 'running')}</td><td>${x.exit_code ?? ''}</td><td>${esc(x.path)}</td><td><pre class="log">${esc(x.log_tail)}</pre></td></tr>`).join('');
        }
        async function history() {
          const h = document.getElementById('history'); if (!h) return;
          const r = await api('GET', path + '/history');
          h.innerHTML = r.reverse().map(v => `<p>version ${v.version}${v.deleted ? ' (deleted)' : ''} by ${esc(v.author)} at ${esc(v.saved_at)}
            ${admin ? `<button class="rollback" data-version="${v.version}">Roll back to it</button>` : ''}</p><pre>${esc(v.diff)}</pre>`).join('');
          document.querySelectorAll('.rollback').forEach(b => b.onclick = async () => { await api('POST', path + '/rollback', {version: +b.dataset.version}); location.reload(); });
        }
        function status(p) {
          if (!p) return;
          document.getElementById('status').innerHTML = `<span class="${p.ready ? 'ok' : 'bad'}">${p.ready ? 'Ready' : 'Not ready'}: ${esc(p.reason)}</span> ${esc(p.message)}`;
          if (!operator) return;
          const verb = p.suspended_from_console ? 'resume' : 'suspend';
          document.getElementById('controls').innerHTML = `<button id="${verb}">${verb === 'resume' ? 'Resume' : 'Suspend'}</button>`;
          document.getElementById(verb).onclick = async () => { await api('POST', path + '/' + verb); status((await api('GET', path)).summary); };
        }
        function refresh() { files(); runs(); }
        api('GET', path).then(d => status(d.summary));
        refresh(); history();
        ['search', 'state'].forEach(id => document.getElementById(id).oninput = () => { page = 1; files(); });
        document.getElementById('prev').onclick = () => { if (page > 1) { page--; files(); } };
        document.getElementById('next').onclick = () => { page++; files(); };
        new EventSource('/api/v1/events').addEventListener('pipelines', e => { status(JSON.parse(e.data).find(p => p.name === name)); refresh(); });
        function problems(list) {
          document.getElementById('problems').innerHTML = (list || []).map(d => `<div class="diagnostic">line ${d.line}, column ${d.column}: ${esc(d.message)}</div>`).join('');
        }
        const check = document.getElementById('check');
        if (check) {
          const text = () => document.getElementById('text').value;
          check.onclick = async () => { const r = await api('POST', path + '/check', {text: text()}); problems(r.diagnostics); document.getElementById('plan').textContent = r.plan; };
          document.getElementById('text').oninput = () => { clearTimeout(window.typing); window.typing = setTimeout(async () => problems((await api('POST', path + '/check', {text: text()})).diagnostics.filter(d => d.severity === 'error')), 400); };
          document.getElementById('save').onclick = async () => {
            try { const d = await api('PUT', path, {text: text(), based_on: version}); version = d.summary.version; problems([]); document.getElementById('plan').textContent = 'Saved as version ' + version + '.'; history(); }
            catch (e) { problems(e.data && e.data.diagnostics || [{line: 1, column: 1, message: e.message}]); }
          };
          document.getElementById('delete').onclick = async () => { if (confirm('Delete ' + name + '?')) { await api('DELETE', path + '?based_on=' + version); location = '/'; } };
        }
        const upload = document.getElementById('upload');
        if (upload) upload.onchange = async () => {
          const file = upload.files[0]; const out = document.getElementById('uploaded');
          try {
            const r = await api('PUT', path + '/upload/' + encodeURIComponent(file.name), file, true);
            out.innerHTML = `uploaded; <span id="follow" data-sha="${r.sha256}">settling</span>`;
            const follow = async () => {
              try { const d = await api('GET', path + '/files/' + r.sha256); document.getElementById('follow').textContent = d.file.state + (d.runs[0] && d.runs[0].log_tail && d.file.state !== 'succeeded' ? ': ' + d.runs[0].log_tail : '');
                if (d.file.state === 'succeeded' || d.file.state === 'quarantined') return; } catch (e) {}
              setTimeout(follow, 500);
            };
            follow();
          } catch (e) { out.textContent = e.message; out.className = 'bad'; }
        };
        </script>
        """

    static let newPipeline = """
        <h1>New pipeline</h1>
        <p><label>Name <input id="name"></label></p>
        <textarea id="text">apiVersion: orchestrator/v1
        kind: Pipeline
        metadata:
          name: NAME
        spec:
          watch:
            path: /srv/drop/NAME
          run:
            command: ["/usr/bin/true", "${file}"]
        </textarea>
        <p><button id="check">Check and preview the plan</button> <button id="save">Create</button></p>
        <div id="problems" class="bad"></div><pre id="plan"></pre>
        """

    static let newPipelineScript = """
        <script>
        const text = () => document.getElementById('text').value;
        const path = () => '/pipelines/' + encodeURIComponent(document.getElementById('name').value);
        function problems(list) {
          document.getElementById('problems').innerHTML = (list || []).map(d => `<div class="diagnostic">line ${d.line}, column ${d.column}: ${esc(d.message)}</div>`).join('');
        }
        document.getElementById('check').onclick = async () => {
          try { const r = await api('POST', path() + '/check', {text: text()}); problems(r.diagnostics); document.getElementById('plan').textContent = r.plan; }
          catch (e) { problems([{line: 1, column: 1, message: e.message}]); }
        };
        document.getElementById('save').onclick = async () => {
          try { await api('PUT', path(), {text: text()}); location = '/pipelines/' + encodeURIComponent(document.getElementById('name').value); }
          catch (e) { problems(e.data && e.data.diagnostics || [{line: 1, column: 1, message: e.message}]); }
        };
        </script>
        """

    static let users = """
        <h1>Users</h1>
        <table><thead><tr><th>Name</th><th>Role</th><th>Grants</th><th></th></tr></thead><tbody id="users"></tbody></table>
        <h2>Add a user</h2>
        <p><input id="new-name" placeholder="name"> <select id="new-role"><option>viewer</option><option>uploader</option>
        <option>operator</option><option>admin</option></select> <input id="new-grants" placeholder="pipelines, for uploaders">
        <input id="new-password" type="password" placeholder="password (8+)"> <button id="add">Add</button> <span id="user-error" class="bad"></span></p>
        """

    static let usersScript = """
        <script>
        async function load() {
          const r = await api('GET', '/users');
          document.getElementById('users').innerHTML = r.map(u => `<tr><td>${esc(u.name)}</td><td>${esc(u.role)}</td><td>${esc(u.grants.join(', '))}</td>
            <td><button class="remove" data-name="${esc(u.name)}">Remove</button></td></tr>`).join('');
          document.querySelectorAll('.remove').forEach(b => b.onclick = async () => {
            try { await api('DELETE', '/users/' + encodeURIComponent(b.dataset.name)); load(); } catch (e) { document.getElementById('user-error').textContent = e.message; } });
        }
        document.getElementById('add').onclick = async () => {
          const grants = document.getElementById('new-grants').value.split(',').map(s => s.trim()).filter(s => s);
          try { await api('POST', '/users', {name: document.getElementById('new-name').value, role: document.getElementById('new-role').value,
            password: document.getElementById('new-password').value, grants}); document.getElementById('user-error').textContent = ''; load(); }
          catch (e) { document.getElementById('user-error').textContent = e.message; }
        };
        load();
        </script>
        """

    static let audit = """
        <h1>Audit</h1>
        <table><thead><tr><th>When</th><th>Who</th><th>Action</th><th>On</th><th>Detail</th></tr></thead><tbody id="events"></tbody></table>
        """

    static let auditScript = """
        <script>
        api('GET', '/audit?limit=500').then(r => document.getElementById('events').innerHTML = r.map(e =>
          `<tr><td>${esc(e.at)}</td><td>${esc(e.user)}</td><td>${esc(e.action)}</td><td>${esc(e.target)}</td><td>${esc(e.detail)}</td></tr>`).join(''));
        </script>
        """
}
