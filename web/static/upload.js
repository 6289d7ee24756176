// 同步包 page: uploads the chosen bundle files one after another with a
// progress bar each, and shows what the server decided for every file.
// Without JavaScript the form posts all files at once and the server
// answers with the same list.
(function () {
  var form = document.getElementById('bundle-upload');
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var list = document.getElementById('upload-progress');
  form.addEventListener('submit', function (ev) {
    var input = form.querySelector('input[type=file]');
    if (!input.files.length) return;
    ev.preventDefault();
    var files = Array.prototype.slice.call(input.files);
    list.innerHTML = '';
    var button = form.querySelector('button');
    button.disabled = true;
    var items = files.map(function (f) {
      var li = document.createElement('li');
      var name = document.createElement('span');
      name.textContent = f.name + '：';
      var bar = document.createElement('progress');
      bar.max = 100; bar.value = 0;
      var text = document.createElement('span');
      text.textContent = ' 等待上传';
      li.appendChild(name); li.appendChild(bar); li.appendChild(text);
      list.appendChild(li);
      return {file: f, bar: bar, text: text, li: li};
    });
    var i = 0;
    function next() {
      if (i >= items.length) {
        button.disabled = false;
        var done = document.createElement('li');
        var a = document.createElement('a');
        a.href = '/bundles'; a.textContent = '全部处理完毕，刷新列表';
        done.appendChild(a);
        list.appendChild(done);
        return;
      }
      var it = items[i++];
      var data = new FormData();
      data.append('bundles', it.file, it.file.name);
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { it.bar.value = Math.round(e.loaded * 100 / e.total); it.text.textContent = ' 上传中 ' + it.bar.value + '%'; }
      };
      xhr.onload = function () {
        it.bar.value = 100;
        var res = null;
        try { res = JSON.parse(xhr.responseText)[0]; } catch (e) {}
        if (xhr.status === 200 && res) {
          it.text.textContent = ' ' + res.label + '：' + res.message;
          it.li.className = res.ok ? 'ok' : 'bad';
          if (res.receipt) {
            var a = document.createElement('a');
            a.href = res.receipt; a.textContent = ' 下载回执';
            it.li.appendChild(a);
          }
        } else {
          it.text.textContent = ' 上传失败（' + xhr.status + '），请重试';
          it.li.className = 'bad';
        }
        next();
      };
      xhr.onerror = function () { it.text.textContent = ' 网络错误，请重试'; it.li.className = 'bad'; next(); };
      xhr.send(data);
    }
    next();
  });
})();
