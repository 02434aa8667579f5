/* Rich-text editor for <textarea data-editor data-media-list data-upload
   [data-place] [data-max-chars data-max-message]>. Without JavaScript the plain textarea works; the server
   sanitises every body again (src/articles/sanitize.rs). */
(() => {
  'use strict';
  const D = document;
  const CJK = '\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef';
  const WRAP = new RegExp(`([${CJK}])[ \\t]*\\n\\s*(?=[${CJK}])`, 'g');
  const MEDIA = /^\/media\/[\w-]+(\/[\w.-]+)*(\?[\w=&.-]*)?$/;
  const KEEP = {};
  'P:p H1:h2 H2:h2 H3:h3 H4:h3 H5:h3 H6:h3 B:strong STRONG:strong I:em EM:em U:u UL:ul OL:ol LI:li TABLE:table CAPTION:caption THEAD:thead TBODY:tbody TFOOT:tfoot TR:tr TD:td TH:th BLOCKQUOTE:blockquote'
    .split(' ').forEach(p => { const [k, v] = p.split(':'); KEEP[k] = v; });
  const BOXES = 'DIV|SECTION|ARTICLE|HEADER|FOOTER|MAIN|ASIDE|NAV|FIGURE|FIGCAPTION|CENTER|ADDRESS|DL|DT|DD|PRE|FORM|FIELDSET|DETAILS|SUMMARY';
  const BOX = new RegExp(`^(${BOXES})$`);
  const BLOCKS = BOXES.toLowerCase().replace(/\|/g, ',') + ',p,h1,h2,h3,h4,h5,h6,ul,ol,li,table,blockquote';
  const DROP = /^(SCRIPT|STYLE|XML|TITLE|HEAD|META|LINK|NOSCRIPT|I?FRAME|OBJECT|EMBED|APPLET|SVG|MATH|TEMPLATE|TEXTAREA|SELECT|BUTTON|INPUT|CANVAS|VIDEO|AUDIO|PICTURE|MAP)$/;
  const TYPES = /^image\/(jpeg|png|gif|webp)$/;

  const esc = s => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/\u00a0/g, '&nbsp;');

  // Media-library images only; this site's absolute addresses made relative.
  const mediaSrc = src => {
    if (src && src.startsWith(location.origin + '/')) src = src.slice(location.origin.length);
    return src && MEDIA.test(src) && !/\/\.\.?(\/|$)/.test(src) ? src : null;
  };
  const attrs = (n, keys, re) => keys.map(k => [k, n.getAttribute(k)]).filter(([, v]) => re.test(v || ''))
    .map(([k, v]) => ` ${k}="${v}"`).join('');

  /* The children of a node through the allow-list: styles, classes, fonts,
     links and scripts go; text, paragraphs, headings, lists, tables and
     media-library images stay. st.lost counts the images left out. */
  const clean = (node, st) => {
    let out = '';
    for (const n of node.childNodes) {
      if (n.nodeType === 3) out += esc(n.data.replace(WRAP, '$1').replace(/[\t\r\n]+/g, ' '));
      if (n.nodeType !== 1) continue;
      const name = n.nodeName.toUpperCase();
      if (DROP.test(name) || (n.style && n.style.display === 'none')) continue;
      if (name === 'BR') { out += '<br>'; continue; }
      if (name === 'IMG') {
        const src = mediaSrc(n.getAttribute('src'));
        if (!src) { st.lost++; continue; }
        out += `<img src="${esc(src)}"${attrs(n, ['width', 'height'], /^[1-9]\d{0,3}$/)}>`;
        continue;
      }
      const inner = clean(n, st);
      let tag = KEEP[name];
      if (!tag && BOX.test(name)) tag = n.querySelector(BLOCKS) ? '' : 'p';
      if (!tag) { out += inner; continue; }
      const a = tag === 'td' || tag === 'th' ? attrs(n, ['colspan', 'rowspan'], /^([2-9]|[1-9]\d)$/) : '';
      out += `<${tag}${a}>${inner}</${tag}>`;
    }
    return out;
  };
  const parse = html => new DOMParser().parseFromString(html, 'text/html').body;

  // Plain text: a paragraph per line (paste), or per blank-line-separated
  // block with <br> between its lines (as the server reads a textarea).
  const textHtml = (t, perLine) => t.replace(/\r\n?/g, '\n').split(perLine ? '\n' : /\n\s*\n/)
    .filter(p => p.trim()).map(p => `<p>${p.split('\n').map(esc).join('<br>')}</p>`).join('');

  const el = (tag, props, text) => {
    const e = Object.assign(D.createElement(tag), props);
    if (text) e.textContent = text;
    return e;
  };
  const button = (text, cls, title) => el('button', { type: 'button', className: cls || '', title: title || '' }, text);

  function setup(ta) {
    const form = ta.form;
    const csrf = form && form.querySelector('input[name=csrf_token]');
    const box = el('div', { className: 'editor' });
    const bar = el('div', { className: 'editor-bar' });
    const area = el('div', { className: 'editor-area', contentEditable: 'true', spellcheck: false });
    const msg = el('div', { className: 'editor-msg' });
    const pop = el('div', { className: 'editor-pop', hidden: true });
    const picker = el('input', { type: 'file', accept: 'image/jpeg,image/png,image/gif,image/webp', multiple: true, hidden: true });
    const set = (e, a) => Object.keys(a).forEach(k => e.setAttribute(k, a[k]));
    set(bar, { role: 'toolbar' });
    set(area, { role: 'textbox', 'aria-multiline': 'true', 'data-placeholder': '在这里输入正文，可以直接粘贴 Word、WPS 或微信文章里的文字和表格' });
    set(msg, { 'aria-live': 'polite' });
    const btn = {};
    let last = null, media = null, submitting = false;

    const say = (text, bad) => { msg.textContent = text || ''; msg.classList.toggle('bad', !!bad); };
    const inArea = n => !!n && area.contains(n);
    const remember = () => {
      const s = getSelection();
      if (s.rangeCount && inArea(s.getRangeAt(0).commonAncestorContainer)) last = s.getRangeAt(0).cloneRange();
    };
    const restore = r => {
      area.focus();
      const s = getSelection();
      if (!r || !inArea(r.commonAncestorContainer)) { r = D.createRange(); r.selectNodeContents(area); r.collapse(false); }
      s.removeAllRanges();
      s.addRange(r);
    };
    const exec = (cmd, value) => { restore(last); D.execCommand(cmd, false, value); remember(); refresh(); };
    // Inserting never replaces a selection the clerk may not have noticed.
    const insert = html => { if (last) last.collapse(false); exec('insertHTML', html); };
    const closest = sel => {
      let n = last && last.startContainer;
      if (n && n.nodeType !== 1) n = n.parentNode;
      const e = n && n.closest(sel);
      return inArea(e) ? e : null;
    };
    const isH2 = () => { const b = closest('p,h2,h3,li,td,th,div'); return !!b && b.nodeName === 'H2'; };
    const empty = () => !area.textContent.trim() && !area.querySelector('img,table');
    const caret = node => { const r = D.createRange(); r.selectNodeContents(node); r.collapse(true); last = r; restore(r); };

    function refresh() {
      area.classList.toggle('empty', empty());
      const on = (k, v) => btn[k].setAttribute('aria-pressed', v ? 'true' : 'false');
      let bold = false;
      try { bold = D.queryCommandState('bold'); } catch (e) { /* unsupported */ }
      on('bold', bold);
      on('h2', isH2());
      on('ul', closest('ul'));
      on('ol', closest('ol'));
      box.classList.toggle('in-table', !!closest('table'));
    }

    /* ---- toolbar ---- */
    [['p', '段落'], ['h2', '小标题', '设为小标题，再点一次恢复为段落'], ['bold', '加粗'], ['ul', '列表'],
      ['ol', '编号列表'], 0, ['table', '插入表格'], ['image', '插入图片', '从图片库选择或上传图片'], 0,
      ['undo', '撤销'], ['redo', '重做'], 1, ['rowAdd', '加行', '在下面加一行', 't'],
      ['colAdd', '加列', '在右边加一列', 't'], ['rowDel', '删行', '删除这一行', 't'], ['colDel', '删列', '删除这一列', 't'],
      ['tableDel', '删表格', '删除整个表格', 't']].forEach(t => {
      const b = t[0] ? button(t[1], t[3] ? 'tbl' : '', t[2] || t[1]) : el('span', { className: t ? 'sep tbl' : 'sep' });
      if (t[0]) btn[b.dataset.cmd = t[0]] = b;
      bar.append(b);
    });
    bar.onmousedown = e => { if (e.target.closest('button')) e.preventDefault(); };
    bar.onclick = e => {
      const b = e.target.closest('button');
      const cmd = b && b.dataset.cmd;
      if (!cmd) return;
      say('');
      if (cmd === 'p') exec('formatBlock', '<p>');
      else if (cmd === 'h2') exec('formatBlock', isH2() ? '<p>' : '<h2>');
      else if (cmd === 'bold' || cmd === 'undo' || cmd === 'redo') exec(cmd);
      else if (cmd === 'ul') exec('insertUnorderedList');
      else if (cmd === 'ol') exec('insertOrderedList');
      else if (cmd === 'table') openTable();
      else if (cmd === 'image') openImages();
      else tableOp(cmd);
    };

    /* ---- popovers ---- */
    const closePop = () => { pop.hidden = true; pop.textContent = ''; };
    const openPop = (title, nodes) => {
      closePop();
      pop.append(el('div', { className: 'pop-title' }, title), ...nodes);
      pop.hidden = false;
    };
    const cancel = text => { const b = button(text, 'cancel'); b.onclick = () => { closePop(); restore(last); }; return b; };
    pop.onkeydown = e => {
      if (e.key === 'Escape') { closePop(); restore(last); }
      if (e.key === 'Enter' && e.target.nodeName === 'INPUT') { e.preventDefault(); pop.querySelector('.ok').click(); }
    };

    function openTable() {
      const field = (label, value, max) => {
        const i = el('input', { type: 'number', min: 1, max, value });
        return [el('label', {}, label), i];
      };
      const [rl, rows] = field('行数', 3, 30);
      const [cl, cols] = field('列数', 3, 10);
      const head = el('input', { type: 'checkbox', checked: true });
      const hl = el('label', {}, '第一行是表头');
      const ok = button('插入', 'ok');
      rl.append(rows);
      cl.append(cols);
      hl.prepend(head);
      ok.onclick = () => {
        const r = Math.min(30, Math.max(1, rows.value | 0)), c = Math.min(10, Math.max(1, cols.value | 0));
        const row = t => `<tr>${`<${t}><br></${t}>`.repeat(c)}</tr>`;
        const h = head.checked && r > 1;
        closePop();
        insert(`<table><tbody>${h ? row('th') : ''}${row('td').repeat(h ? r - 1 : r)}</tbody></table><p><br></p>`);
      };
      openPop('插入表格', [rl, cl, hl, ok, cancel('取消')]);
      rows.select();
    }

    // Table edits replace the table through insertHTML, so 撤销 undoes them.
    function tableOp(cmd) {
      const cell = closest('td,th');
      const table = cell && cell.closest('table');
      if (!table) return;
      const copy = table.cloneNode(true);
      const rows = [...copy.rows];
      const ri = cell.parentNode.rowIndex, ci = cell.cellIndex, row = rows[ri];
      const blank = tag => el(tag, { innerHTML: '<br>' });
      let focus = null;
      if (cmd === 'rowAdd') {
        const n = el('tr');
        for (const c of row.cells) { const d = n.appendChild(blank('td')); if (c.colSpan > 1) d.colSpan = c.colSpan; }
        row.after(n);
        focus = n.cells[Math.min(ci, n.cells.length - 1)];
      } else if (cmd === 'colAdd') {
        for (const r of rows) {
          const c = blank(r.cells[0] && r.cells[0].nodeName === 'TH' ? 'th' : 'td');
          if (r.cells[ci]) r.cells[ci].after(c); else r.append(c);
          if (r === row) focus = c;
        }
      } else if (cmd === 'rowDel') row.remove();
      else if (cmd === 'colDel') for (const r of rows) { if (r.cells[ci]) r.cells[ci].remove(); if (!r.cells.length) r.remove(); }
      const gone = cmd === 'tableDel' || !copy.rows.length;
      if (!gone) (focus || copy.rows[Math.min(ri, copy.rows.length - 1)].cells[0]).dataset.edFocus = 1;
      last = D.createRange();
      last.selectNode(table);
      exec('insertHTML', gone ? '<p><br></p>' : copy.outerHTML);
      const f = area.querySelector('[data-ed-focus]');
      if (f) { f.removeAttribute('data-ed-focus'); caret(f); refresh(); }
    }

    /* ---- images ---- */
    const insertImage = m => {
      const w = m.width | 0, h = m.height | 0, src = mediaSrc(m.url);
      if (src) insert(`<img src="${esc(src)}"${w > 0 && h > 0 ? ` width="${w}" height="${h}"` : ''}>`);
    };

    async function upload(files) {
      for (const file of files) {
        const name = `“${file.name || '图片'}”`;
        if (!TYPES.test(file.type)) { say(`${name}不是 JPG、PNG、GIF 或 WebP 图片`, true); continue; }
        if (file.size > 20 * 1024 * 1024) { say(`${name}太大了（最多 20 MB）`, true); continue; }
        const at = last;
        const fd = new FormData();
        if (csrf) fd.append('csrf_token', csrf.value);
        if (ta.dataset.place) fd.append('place_id', ta.dataset.place);
        fd.append('file', file, file.name || 'image.png');
        say(`正在上传${name}……`);
        try {
          const res = await fetch(ta.dataset.upload, { method: 'POST', body: fd, credentials: 'same-origin' });
          const j = await res.json().catch(() => null);
          if (!res.ok || !j || !j.url) throw new Error((j && j.error) || `服务器返回 ${res.status}`);
          last = at;
          insertImage(j);
          media = null;
          say(`${name}已上传并插入`);
        } catch (err) {
          say(`${name}上传失败：${err instanceof TypeError ? '网络不通，请稍后再试' : err.message}`, true);
        }
      }
    }
    picker.onchange = () => { const f = [...picker.files]; picker.value = ''; closePop(); upload(f); };

    async function openImages() {
      const up = button('上传新图片…', 'ok');
      const grid = el('div', { className: 'pop-grid' }, '正在读取图片库……');
      up.onclick = () => picker.click();
      up.hidden = !ta.dataset.upload;
      openPop('插入图片：点一张图片，插入到光标处', [up, cancel('关闭'), grid]);
      try {
        if (!media) {
          const res = await fetch(ta.dataset.mediaList, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
          const j = await res.json();
          if (!res.ok) throw new Error(j && j.error);
          media = Array.isArray(j) ? j : j.items || [];
        }
        grid.textContent = media.length ? '' : '图片库里还没有图片，请先上传。';
        for (const m of media) {
          const b = button(m.name || `图片 ${m.id}`, 'thumb', m.name);
          b.prepend(el('img', { src: m.tile_url || m.url, width: 160, height: 90, alt: '' }));
          b.onclick = () => { closePop(); insertImage(m); };
          grid.append(b);
        }
      } catch (err) {
        grid.textContent = `读取图片库失败${err.message ? '：' + err.message : ''}`;
      }
    }

    /* ---- paste and drop ---- */
    area.addEventListener('paste', e => {
      const cd = e.clipboardData;
      if (!cd) return;
      e.preventDefault();
      remember();
      const html = cd.getData('text/html'), text = cd.getData('text/plain');
      const files = [...cd.files].filter(f => f.type.startsWith('image/'));
      const st = { lost: 0 };
      // Runs of blank paragraphs (Word's empty lines) become one.
      const out = html ? clean(parse(html), st).replace(/(<p>(\s|&nbsp;|<br>)*<\/p>\s*){2,}/g, '<p><br></p>') : '';
      // A copied picture comes as a file (and maybe an <img> of elsewhere).
      if (files.length && !out.replace(/<(?!img)[^>]*>|&nbsp;|\s/g, '')) return upload(files);
      if (html) exec('insertHTML', out);
      else if (/\n/.test(text.trim())) exec('insertHTML', textHtml(text, true));
      else if (text) exec('insertText', text);
      if (st.lost) say(`有 ${st.lost} 张图片不能直接粘贴，请用“插入图片”上传。`, true);
    });
    area.addEventListener('dragover', e => { if ([...e.dataTransfer.types].includes('Files')) e.preventDefault(); });
    area.addEventListener('drop', e => {
      const files = [...e.dataTransfer.files].filter(f => f.type.startsWith('image/'));
      if (!files.length) return;
      e.preventDefault();
      const r = D.caretRangeFromPoint && D.caretRangeFromPoint(e.clientX, e.clientY);
      if (r && inArea(r.startContainer)) last = r;
      upload(files);
    });

    /* ---- state ---- */
    area.addEventListener('focus', () => { if (!area.firstChild) { area.innerHTML = '<p><br></p>'; caret(area.firstChild); } });
    area.addEventListener('input', refresh);
    D.addEventListener('selectionchange', () => { if (D.activeElement === area) { remember(); refresh(); } });

    const value = () => (empty() ? '' : clean(area, { lost: 0 }));
    area.innerHTML = clean(parse(/<[a-z!/]/i.test(ta.value) ? ta.value : textHtml(ta.value)), { lost: 0 });
    const initial = value();
    // Past the server's limit the whole form would be refused unread, and
    // everything typed in it lost: stop here and say so under the editor.
    const max = +ta.dataset.maxChars || 0;
    if (form) form.addEventListener('submit', e => {
      const v = value();
      if (max && v.length > max) {
        e.preventDefault();
        say(ta.dataset.maxMessage || `最多 ${max} 字，请精简后再保存`, true);
        msg.scrollIntoView({ block: 'center' });
        return;
      }
      ta.value = v;
      submitting = true;
    });
    addEventListener('beforeunload', e => {
      if (!submitting && value() !== initial) { e.preventDefault(); e.returnValue = ''; }
    });
    const label = ta.id && D.querySelector(`label[for="${ta.id}"]`);
    if (label) {
      set(area, { 'aria-label': label.textContent.trim() });
      label.onclick = e => { e.preventDefault(); area.focus(); };
    }

    box.append(bar, pop, area, msg, picker);
    ta.hidden = true;
    ta.after(box);
    D.execCommand('defaultParagraphSeparator', false, 'p');
    D.execCommand('styleWithCSS', false, false);
    refresh();
  }

  const start = () => D.querySelectorAll('textarea[data-editor]').forEach(setup);
  if (D.readyState === 'loading') D.addEventListener('DOMContentLoaded', start);
  else start();
})();
