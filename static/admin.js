// Back-office behaviour that used to sit inline in the pages, moved here so
// the back office can run under a Content-Security-Policy without
// 'unsafe-inline': drop-downs that submit their filter form, forms that ask
// before they go, and the media library's upload with its answer shown.
(function () {
  'use strict';
  document.querySelectorAll('select[data-autosubmit]').forEach(function (select) {
    select.addEventListener('change', function () { select.form.submit(); });
  });
  document.querySelectorAll('form[data-confirm]').forEach(function (form) {
    form.addEventListener('submit', function (e) {
      if (!window.confirm(form.getAttribute('data-confirm'))) { e.preventDefault(); }
    });
  });

  var form = document.getElementById('upload-form');
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var status = document.getElementById('upload-status');
  function show(text, cls) { status.className = cls; status.textContent = text; }
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var input = form.elements['file'];
    var file = input.files && input.files[0];
    if (!file) { show('请先选择图片', 'error'); return; }
    if (file.size > Number(form.getAttribute('data-max-bytes'))) { show('文件超过 20 MB', 'error'); return; }
    show('正在上传……', 'muted');
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.action);
    xhr.onload = function () {
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = null; }
      if (xhr.status === 200 && answer && answer.id) {
        window.location.href = form.getAttribute('data-done');
      } else {
        show((answer && answer.error) || ('上传失败（' + xhr.status + '）'), 'error');
      }
    };
    xhr.onerror = function () { show('网络错误，上传没有完成', 'error'); };
    xhr.send(new FormData(form));
  });
})();
