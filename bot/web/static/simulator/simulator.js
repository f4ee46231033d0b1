/* The ITA Bot chat simulator: a LINE-like chat that talks to the bot through its real webhook.
 *
 * What the person does goes to /simulator/api/send (which signs a LINE webhook event and posts it
 * to /callback); what the bot sent through the fake LINE API comes back from
 * /simulator/api/messages, polled every 500 ms. Flex messages are drawn with the sizes, paddings
 * and flex rules of LINE's own renderer. No framework, no build step.
 */
(function () {
  'use strict';

  var API = '/simulator/api';
  var POLL_MS = 500;
  var KEEP = 150; // transcript entries kept in localStorage
  var KEY_USER = 'itaSimulator.user';
  var KEY_SINCE = 'itaSimulator.since';
  var KEY_LOG = 'itaSimulator.log';
  var KEY_EPOCH = 'itaSimulator.epoch';

  // LINE's keyword sizes (px).
  var TEXT_SIZE = { xxs: 11, xs: 13, sm: 14, md: 16, lg: 19, xl: 22, xxl: 29, '3xl': 35, '4xl': 48, '5xl': 74 };
  var SPACE = { none: 0, xs: 2, sm: 4, md: 8, lg: 12, xl: 16, xxl: 20 };
  var BORDER_WIDTH = { none: 0, light: 0.5, normal: 1, medium: 2, 'semi-bold': 3, bold: 4 };
  var IMAGE_SIZE = { xxs: 40, xs: 60, sm: 80, md: 100, lg: 120, xl: 140, xxl: 160, '3xl': 180, '4xl': 200, '5xl': 220 };
  var BUBBLE_WIDTH = { nano: 120, micro: 160, deca: 220, hecto: 241, kilo: 260, mega: 300, giga: 500 };
  var BUBBLE_RADIUS = { mega: 17, giga: 5 };
  var BLOCK_PADDING = {
    header: '20px', hero: '0px', body: '19px 20px 20px', footer: '10px'
  };
  var SMALL_BLOCK_PADDING = { kilo: '13px', hecto: '11px 14px 13px', deca: '11px 14px 13px', micro: '10px', nano: '10px' };
  var BUTTON_COLORS = {
    primary: { background: '#17c950', color: '#ffffff' },
    secondary: { background: '#dcdfe5', color: '#111111' },
    link: { background: 'transparent', color: '#42659a' }
  };
  var SEPARATOR_COLOR = '#d4d6da';
  var GRAVITY = { top: 'flex-start', center: 'center', bottom: 'flex-end' };

  // ---------------------------------------------------------------------------------- state

  var state = {
    user: null,
    since: 0,
    epoch: null,
    log: [],
    polling: false,
    loadingUntil: 0
  };

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }

  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: keep it in memory */ }
  }

  function newUserId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    var hex = '';
    for (var i = 0; i < bytes.length; i++) hex += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    return 'U' + hex;
  }

  function saveLog() {
    state.log = state.log.slice(-KEEP);
    storageSet(KEY_LOG, JSON.stringify(state.log));
    storageSet(KEY_SINCE, String(state.since));
    storageSet(KEY_EPOCH, state.epoch || '');
  }

  // ---------------------------------------------------------------------------------- helpers

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  /** A LINE length: a keyword from `table`, "12px", "50%", or a bare number of pixels. */
  function length(value, table) {
    if (value === undefined || value === null || value === '') return null;
    if (table && Object.prototype.hasOwnProperty.call(table, value)) return table[value] + 'px';
    if (typeof value === 'number') return value + 'px';
    if (/^-?\d+(\.\d+)?(px|%)$/.test(String(value))) return String(value);
    return null;
  }

  /** "#RRGGBB" or "#RRGGBBAA" (LINE's form) as a CSS colour. */
  function colour(value) {
    if (typeof value !== 'string') return null;
    var m = /^#([0-9a-fA-F]{6})([0-9a-fA-F]{2})?$/.exec(value);
    if (!m) return null;
    if (!m[2]) return value;
    var n = parseInt(m[1], 16);
    var alpha = parseInt(m[2], 16) / 255;
    return 'rgba(' + ((n >> 16) & 255) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha.toFixed(3) + ')';
  }

  function timeLabel(seconds) {
    var date = seconds ? new Date(seconds * 1000) : new Date();
    return String(date.getHours()).padStart(2, '0') + ':' + String(date.getMinutes()).padStart(2, '0');
  }

  function setStatus(text, isError) {
    var status = document.getElementById('status');
    status.textContent = text || '';
    status.classList.toggle('is-error', !!isError);
  }

  // ---------------------------------------------------------------------------------- actions

  /** What a tap on something carrying `action` does, as LINE does it. */
  function runAction(action) {
    if (!action || typeof action !== 'object') return;
    switch (action.type) {
      case 'message':
        if (action.text) sendText(action.text);
        break;
      case 'postback':
        sendPostback(action.data, action.displayText || action.text || null, null);
        break;
      case 'datetimepicker': {
        var mode = action.mode || 'datetime';
        var hint = mode === 'date' ? 'YYYY-MM-DD' : mode === 'time' ? 'HH:MM' : 'YYYY-MM-DDTHH:MM';
        var value = window.prompt('เลือก' + (action.label ? ' ' + action.label : '') + ' (' + hint + ')', action.initial || '');
        if (value) {
          var params = {};
          params[mode] = value;
          sendPostback(action.data, null, params);
        }
        break;
      }
      case 'uri':
        if (/^(https?:|tel:|mailto:)/.test(action.uri || '')) window.open(action.uri, '_blank', 'noopener');
        else notice('เปิดลิงก์นี้ได้เฉพาะในแอป LINE: ' + (action.uri || ''));
        break;
      case 'clipboard':
        if (navigator.clipboard && action.clipboardText) navigator.clipboard.writeText(action.clipboardText);
        notice('คัดลอกแล้ว');
        break;
      default:
        notice('แชตจำลองยังไม่รองรับการกระทำแบบ ' + action.type);
    }
  }

  function clickable(node, action) {
    if (!action) return;
    node.classList.add('is-action');
    node.setAttribute('role', 'button');
    node.tabIndex = 0;
    if (action.label) node.title = action.label;
    node.addEventListener('click', function (event) {
      event.stopPropagation();
      runAction(action);
    });
    node.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        event.stopPropagation();
        runAction(action);
      }
    });
  }

  // ---------------------------------------------------------------------------------- flex

  /** How a child takes space in its parent box (LINE: horizontal children default to flex 1). */
  function placeChild(node, component, parentLayout, index, parentSpacing, previous) {
    var horizontal = parentLayout !== 'vertical';
    var type = component.type;
    var flex = component.flex;
    if (flex === undefined || flex === null) {
      if (type === 'separator' || type === 'spacer') flex = 0;
      else if (type === 'filler') flex = 1;
      else flex = horizontal ? 1 : 0;
    }
    var fixed = horizontal ? component.width : component.height;
    if (type === 'separator' || type === 'spacer' || (fixed && type === 'box')) node.style.flex = '0 0 auto';
    else if (flex <= 0) node.style.flex = '0 0 auto';
    else node.style.flex = flex + ' 0 ' + (horizontal ? '0px' : 'auto');
    if (horizontal) node.style.minWidth = '0';
    if (component.position === 'absolute') return;
    var side = horizontal ? 'marginLeft' : 'marginTop';
    var margin = length(component.margin, SPACE);
    if (margin !== null) {
      node.style[side] = margin;
    } else if (index > 0 && parentSpacing && type !== 'filler' && type !== 'spacer' &&
               !(previous && previous.type === 'spacer')) {
      node.style[side] = parentSpacing;
    }
    if (component.gravity && type !== 'text' && type !== 'button' && type !== 'icon') {
      node.style.alignSelf = GRAVITY[component.gravity] || '';
    }
  }

  function applyOffsets(node, component) {
    if (component.position === 'absolute') {
      node.style.position = 'absolute';
      node.style.margin = '0';
    }
    var map = { offsetTop: 'top', offsetBottom: 'bottom', offsetStart: 'left', offsetEnd: 'right' };
    Object.keys(map).forEach(function (key) {
      var value = length(component[key], SPACE);
      if (value !== null) node.style[map[key]] = value;
    });
  }

  function renderComponent(component, parentLayout) {
    switch (component && component.type) {
      case 'box': return renderBox(component);
      case 'text': return renderText(component);
      case 'button': return renderButton(component);
      case 'image': return renderImage(component);
      case 'icon': return renderIcon(component);
      case 'separator': return renderSeparator(component, parentLayout);
      case 'spacer': return renderSpacer(component, parentLayout);
      case 'filler': return el('div', 'fx-filler');
      case 'video': return renderVideo(component);
      case 'span': return el('span', null, component.text || '');
      default: return el('div', 'fx-unknown', '[' + (component && component.type) + ']');
    }
  }

  function renderBox(box, defaultPadding) {
    var layout = box.layout || 'vertical';
    var node = el('div', 'fx-box fx-' + layout);
    var spacing = length(box.spacing, SPACE);
    if (defaultPadding) node.style.padding = defaultPadding;
    var padAll = length(box.paddingAll, SPACE);
    if (padAll !== null) node.style.padding = padAll;
    [['paddingTop', 'paddingTop'], ['paddingBottom', 'paddingBottom'],
     ['paddingStart', 'paddingLeft'], ['paddingEnd', 'paddingRight']].forEach(function (pair) {
      var value = length(box[pair[0]], SPACE);
      if (value !== null) node.style[pair[1]] = value;
    });
    var background = colour(box.backgroundColor);
    if (background) node.style.backgroundColor = background;
    if (box.background && box.background.type === 'linearGradient') {
      var stops = [colour(box.background.startColor) || 'transparent'];
      if (box.background.centerColor) {
        stops.push((colour(box.background.centerColor) || 'transparent') + ' ' + (box.background.centerPosition || '50%'));
      }
      stops.push(colour(box.background.endColor) || 'transparent');
      node.style.backgroundImage = 'linear-gradient(' + (box.background.angle || '0deg') + ', ' + stops.join(', ') + ')';
    }
    var borderWidth = length(box.borderWidth, BORDER_WIDTH);
    if (borderWidth !== null) {
      node.style.borderStyle = 'solid';
      node.style.borderWidth = borderWidth;
      node.style.borderColor = colour(box.borderColor) || '#000000';
    } else if (box.borderColor) {
      node.style.border = '1px solid ' + (colour(box.borderColor) || '#000000');
    }
    var radius = length(box.cornerRadius, SPACE);
    if (radius !== null) node.style.borderRadius = radius;
    ['width', 'maxWidth', 'height', 'maxHeight'].forEach(function (key) {
      var value = length(box[key]);
      if (value !== null) node.style[key] = value;
    });
    var justify = { 'flex-start': 'flex-start', 'flex-end': 'flex-end', center: 'center',
                    'space-between': 'space-between', 'space-around': 'space-around', 'space-evenly': 'space-evenly' };
    if (justify[box.justifyContent]) node.style.justifyContent = justify[box.justifyContent];
    if (box.alignItems && layout !== 'baseline') node.style.alignItems = box.alignItems;
    applyOffsets(node, box);
    var contents = Array.isArray(box.contents) ? box.contents : [];
    contents.forEach(function (child, index) {
      var childNode = renderComponent(child, layout);
      placeChild(childNode, child, layout, index, spacing, contents[index - 1]);
      node.appendChild(childNode);
    });
    clickable(node, box.action);
    return node;
  }

  function applyTextStyle(node, component) {
    var size = length(component.size, TEXT_SIZE);
    if (size !== null) node.style.fontSize = size;
    if (component.weight === 'bold') node.style.fontWeight = 'bold';
    if (component.style === 'italic') node.style.fontStyle = 'italic';
    if (component.decoration === 'underline') node.style.textDecoration = 'underline';
    if (component.decoration === 'line-through') node.style.textDecoration = 'line-through';
    var textColour = colour(component.color);
    if (textColour) node.style.color = textColour;
  }

  function renderText(text) {
    var node = el('div', 'fx-text');
    var paragraph = el('p');
    applyTextStyle(node, text);
    if (!text.size) node.style.fontSize = TEXT_SIZE.md + 'px';
    if (Array.isArray(text.contents) && text.contents.length) {
      text.contents.forEach(function (span) {
        var spanNode = el('span', null, span.text || '');
        applyTextStyle(spanNode, span);
        paragraph.appendChild(spanNode);
      });
    } else {
      paragraph.textContent = text.text || '';
    }
    if (text.wrap) {
      node.classList.add('is-wrap');
      if (text.maxLines > 0) {
        paragraph.classList.add('is-clamped');
        paragraph.style.webkitLineClamp = String(text.maxLines);
      }
    }
    if (text.lineSpacing) {
      var extra = length(text.lineSpacing);
      if (extra) paragraph.style.lineHeight = 'calc(1.4em + ' + extra + ')';
    }
    paragraph.style.textAlign = { start: 'left', end: 'right', center: 'center' }[text.align] || '';
    return finishComponent(node, text, paragraph);
  }

  /** The common end of a text or image: gravity, offsets, its inner part, and its action. */
  function finishComponent(node, component, inner) {
    node.style.justifyContent = GRAVITY[component.gravity] || '';
    applyOffsets(node, component);
    node.appendChild(inner);
    clickable(node, component.action);
    return node;
  }

  function renderButton(button) {
    var node = el('div', 'fx-button');
    var styleName = BUTTON_COLORS[button.style] ? button.style : 'link';
    var face = el('button', 'fx-button-face fx-button-' + styleName + (button.height === 'sm' ? ' is-small' : ''));
    face.type = 'button';
    var colours = BUTTON_COLORS[styleName];
    var custom = colour(button.color);
    face.style.backgroundColor = styleName === 'link' ? 'transparent' : (custom || colours.background);
    face.style.color = styleName === 'link' ? (custom || colours.color) : colours.color;
    face.appendChild(el('span', 'fx-button-label', (button.action && button.action.label) || ''));
    node.style.justifyContent = GRAVITY[button.gravity] || '';
    applyOffsets(node, button);
    node.appendChild(face);
    if (button.action) {
      face.title = button.action.label || '';
      face.addEventListener('click', function (event) {
        event.stopPropagation();
        runAction(button.action);
      });
    }
    return node;
  }

  function aspectPadding(ratio) {
    var m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(ratio || '1:1');
    if (!m || Number(m[1]) === 0) return '100%';
    return (Number(m[2]) / Number(m[1]) * 100).toFixed(4) + '%';
  }

  function imageFace(url, className) {
    var face = el('span', className);
    if (/^https?:\/\//.test(url || '')) face.style.backgroundImage = 'url("' + String(url).replace(/"/g, '%22') + '")';
    return face;
  }

  function renderImage(image) {
    var node = el('div', 'fx-image');
    var frame = el('div', 'fx-image-frame');
    var size = image.size || 'md';
    frame.style.width = size === 'full' ? '100%' : (length(size, IMAGE_SIZE) || '100px');
    var holder = el('div', 'fx-image-holder');
    holder.style.paddingBottom = aspectPadding(image.aspectRatio);
    var face = imageFace(image.url, 'fx-image-face');
    face.style.backgroundSize = image.aspectMode === 'cover' ? 'cover' : 'contain';
    var background = colour(image.backgroundColor);
    if (background) face.style.backgroundColor = background;
    face.title = image.url || '';
    holder.appendChild(face);
    frame.appendChild(holder);
    node.style.alignItems = { start: 'flex-start', end: 'flex-end', center: 'center' }[image.align] || 'center';
    return finishComponent(node, image, frame);
  }

  function renderIcon(icon) {
    var node = el('div', 'fx-icon');
    node.style.fontSize = length(icon.size, TEXT_SIZE) || TEXT_SIZE.md + 'px';
    var face = imageFace(icon.url, 'fx-icon-face');
    var m = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/.exec(icon.aspectRatio || '1:1');
    if (m) face.style.width = (Number(m[1]) / Number(m[2])).toFixed(3) + 'em';
    node.appendChild(face);
    applyOffsets(node, icon);
    return node;
  }

  function renderSeparator(separator, parentLayout) {
    var node = el('div', 'fx-separator ' + (parentLayout === 'vertical' ? 'is-horizontal-line' : 'is-vertical-line'));
    node.style.borderColor = colour(separator.color) || SEPARATOR_COLOR;
    return node;
  }

  function renderSpacer(spacer, parentLayout) {
    var node = el('div', 'fx-spacer');
    var size = length(spacer.size || 'md', SPACE) || '8px';
    if (parentLayout === 'vertical') node.style.height = size;
    else node.style.width = size;
    return node;
  }

  function renderVideo(video) {
    var node = el('div', 'fx-video');
    var holder = el('div', 'fx-image-holder');
    holder.style.paddingBottom = aspectPadding(video.aspectRatio || '16:9');
    var face = imageFace(video.previewUrl, 'fx-image-face');
    face.appendChild(el('span', 'fx-video-play', '▶'));
    holder.appendChild(face);
    node.appendChild(holder);
    return node;
  }

  function renderBubble(bubble, inCarousel) {
    var size = BUBBLE_WIDTH[bubble.size] ? bubble.size : 'mega';
    var node = el('div', 'fx-bubble fx-size-' + size);
    node.style.width = BUBBLE_WIDTH[size] + 'px';
    node.style.borderRadius = (BUBBLE_RADIUS[size] || 10) + 'px';
    if (bubble.direction === 'rtl') node.dir = 'rtl';
    var styles = bubble.styles || {};
    var blocks = ['header', 'hero', 'body', 'footer'].filter(function (name) { return bubble[name]; });
    blocks.forEach(function (name, index) {
      var block = bubble[name];
      var style = styles[name] || {};
      var wrapper = el('div', 'fx-block fx-' + name);
      var background = colour(style.backgroundColor);
      if (background) wrapper.style.backgroundColor = background;
      if (style.separator && index > 0) {
        wrapper.style.borderTop = '1px solid ' + (colour(style.separatorColor) || SEPARATOR_COLOR);
      }
      var padding = SMALL_BLOCK_PADDING[size] && name !== 'hero' ? SMALL_BLOCK_PADDING[size] : BLOCK_PADDING[name];
      if (name === 'body' && bubble.footer && !SMALL_BLOCK_PADDING[size]) padding = '19px 20px 10px';
      var content;
      if (block.type === 'box') content = renderBox(block, padding);
      else content = renderComponent(block, 'vertical');
      wrapper.appendChild(content);
      node.appendChild(wrapper);
    });
    if (inCarousel) node.classList.add('in-carousel');
    clickable(node, bubble.action);
    return node;
  }

  function renderFlex(message) {
    var container = message.contents || {};
    var wrapper = el('div', 'fx-message');
    wrapper.title = message.altText || '';
    wrapper.dataset.altText = message.altText || '';
    if (container.type === 'carousel') {
      var carousel = el('div', 'fx-carousel');
      (container.contents || []).forEach(function (bubble) {
        carousel.appendChild(renderBubble(bubble, true));
      });
      wrapper.appendChild(carousel);
    } else {
      wrapper.appendChild(renderBubble(container, false));
    }
    return wrapper;
  }

  // ---------------------------------------------------------------------------------- other messages

  function renderTextMessage(message, side) {
    var bubble = el('div', 'msg-bubble msg-text ' + (side === 'user' ? 'is-mine' : 'is-theirs'));
    var text = message.text || '';
    if (message.type === 'textV2' && message.substitution) {
      text = text.replace(/\{([A-Za-z0-9_]+)\}/g, function (whole, key) {
        var sub = message.substitution[key];
        if (!sub) return whole;
        if (sub.type === 'emoji') return '☺';
        if (sub.type === 'mention') return '@' + (sub.mentionee && sub.mentionee.type === 'all' ? 'All' : 'ผู้ใช้');
        return whole;
      });
    }
    if (Array.isArray(message.emojis) && message.emojis.length && message.type === 'text') {
      // LINE emoji: a "$" placeholder at each index, drawn as a small picture.
      var chars = Array.from(text);
      var indexes = {};
      message.emojis.forEach(function (emoji) { indexes[emoji.index] = emoji; });
      var offset = 0;
      chars.forEach(function (ch) {
        var emoji = indexes[offset];
        if (emoji && ch === '$') {
          var span = el('span', 'line-emoji', '☺');
          span.title = 'LINE emoji ' + emoji.productId + '/' + emoji.emojiId;
          bubble.appendChild(span);
        } else {
          bubble.appendChild(document.createTextNode(ch));
        }
        offset += ch.length;
      });
    } else {
      bubble.textContent = text;
    }
    return bubble;
  }

  function renderTemplate(message) {
    var template = message.template || {};
    var columns = template.type === 'carousel' ? template.columns || [] : [template];
    var row = el('div', 'tpl-row');
    row.title = message.altText || '';
    columns.forEach(function (column) {
      var card = el('div', 'tpl-card');
      if (column.title) card.appendChild(el('div', 'tpl-title', column.title));
      if (column.text) card.appendChild(el('div', 'tpl-text', column.text));
      (column.actions || []).forEach(function (action) {
        var button = el('button', 'tpl-action', action.label || '');
        button.type = 'button';
        button.addEventListener('click', function () { runAction(action); });
        card.appendChild(button);
      });
      row.appendChild(card);
    });
    return row;
  }

  function placeholder(kind, detail) {
    var node = el('div', 'msg-bubble is-theirs msg-placeholder');
    node.appendChild(el('div', 'msg-placeholder-kind', kind));
    if (detail) node.appendChild(el('div', 'msg-placeholder-detail', detail));
    return node;
  }

  function renderMessage(message, side) {
    switch (message.type) {
      case 'text':
      case 'textV2':
        return renderTextMessage(message, side);
      case 'flex':
        return renderFlex(message);
      case 'sticker':
        var sticker = el('div', 'msg-sticker', '🐻');
        sticker.title = 'สติกเกอร์ ' + (message.packageId || '') + '/' + (message.stickerId || '');
        return sticker;
      case 'image':
        var image = el('div', 'msg-image');
        image.appendChild(imageFace(message.previewImageUrl || message.originalContentUrl, 'msg-image-face'));
        return image;
      case 'template':
        return renderTemplate(message);
      case 'imagemap':
        return placeholder('ภาพแผนที่ (imagemap)', message.altText);
      case 'video':
        return placeholder('วิดีโอ', message.originalContentUrl);
      case 'audio':
        return placeholder('เสียง', message.originalContentUrl);
      case 'location':
        return placeholder('ตำแหน่ง: ' + (message.title || ''), message.address);
      default:
        return placeholder('ข้อความแบบ ' + message.type, '');
    }
  }

  // ---------------------------------------------------------------------------------- the chat

  function scrollToEnd() {
    var chat = document.getElementById('chat');
    chat.scrollTop = chat.scrollHeight;
  }

  function appendEntry(entry) {
    var chat = document.getElementById('chat');
    var row;
    if (entry.side === 'system') {
      row = el('div', 'row row-system' + (entry.error ? ' is-error' : ''));
      row.appendChild(el('div', 'system-note', entry.text));
      chat.appendChild(row);
      return row;
    }
    var mine = entry.side === 'user';
    row = el('div', 'row ' + (mine ? 'row-mine' : 'row-theirs'));
    row.dataset.kind = entry.message ? entry.message.type : 'text';
    if (!mine) {
      var previous = chat.lastElementChild;
      var continued = previous && previous.classList.contains('row-theirs');
      var avatar = el('div', 'avatar' + (continued ? ' is-hidden' : ''), 'ITA');
      avatar.setAttribute('aria-hidden', 'true');
      row.appendChild(avatar);
    }
    var column = el('div', 'row-content');
    if (!mine && !(chat.lastElementChild && chat.lastElementChild.classList.contains('row-theirs'))) {
      var sender = entry.message && entry.message.sender && entry.message.sender.name;
      column.appendChild(el('div', 'sender', sender || 'ITA Bot'));
    }
    var line = el('div', 'row-line');
    var content = entry.message ? renderMessage(entry.message, entry.side) : renderTextMessage({ type: 'text', text: entry.text }, entry.side);
    var meta = el('div', 'meta');
    if (mine) meta.appendChild(el('div', 'meta-read', 'อ่านแล้ว'));
    meta.appendChild(el('div', 'meta-time', timeLabel(entry.time)));
    if (mine) { line.appendChild(meta); line.appendChild(content); } else { line.appendChild(content); line.appendChild(meta); }
    column.appendChild(line);
    row.appendChild(column);
    chat.appendChild(row);
    return row;
  }

  function renderQuickReplies() {
    var bar = document.getElementById('quick-replies');
    bar.textContent = '';
    var last = state.log[state.log.length - 1];
    var items = last && last.side === 'bot' && last.message && last.message.quickReply && last.message.quickReply.items;
    if (!Array.isArray(items) || !items.length) {
      bar.hidden = true;
      return;
    }
    items.forEach(function (item) {
      var action = item.action || {};
      var chip = el('button', 'chip');
      chip.type = 'button';
      if (item.imageUrl) chip.appendChild(imageFace(item.imageUrl, 'chip-icon'));
      chip.appendChild(el('span', 'chip-label', action.label || action.text || ''));
      chip.addEventListener('click', function () {
        bar.hidden = true;
        runAction(action);
      });
      bar.appendChild(chip);
    });
    bar.hidden = false;
  }

  function showLoading(seconds) {
    state.loadingUntil = Date.now() + seconds * 1000;
    var chat = document.getElementById('chat');
    var existing = document.getElementById('typing');
    if (existing) existing.remove();
    var row = el('div', 'row row-theirs row-typing');
    row.id = 'typing';
    row.appendChild(el('div', 'avatar', 'ITA'));
    var dots = el('div', 'msg-bubble is-theirs typing-dots');
    for (var i = 0; i < 3; i++) dots.appendChild(el('span', 'typing-dot'));
    row.appendChild(dots);
    chat.appendChild(row);
    scrollToEnd();
    window.setTimeout(hideLoadingIfDue, seconds * 1000 + 50);
  }

  function hideLoading() {
    var existing = document.getElementById('typing');
    if (existing) existing.remove();
  }

  function hideLoadingIfDue() {
    if (Date.now() >= state.loadingUntil) hideLoading();
  }

  function record(entry) {
    entry.time = entry.time || Date.now() / 1000;
    hideLoading();
    state.log.push(entry);
    appendEntry(entry);
    saveLog();
    renderQuickReplies();
    scrollToEnd();
  }

  function notice(text, isError) {
    record({ side: 'system', text: text, error: !!isError });
  }

  function redraw() {
    var chat = document.getElementById('chat');
    chat.textContent = '';
    chat.appendChild(el('div', 'row row-system', null)).appendChild(
      el('div', 'system-note', 'ผู้ใช้ LINE จำลอง ' + state.user.slice(0, 9) + '…'));
    state.log.forEach(appendEntry);
    renderQuickReplies();
    scrollToEnd();
  }

  // ---------------------------------------------------------------------------------- the server

  function post(path, body) {
    return fetch(API + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || ('HTTP ' + response.status));
        return data;
      });
    });
  }

  function deliver(payload) {
    payload.user = state.user;
    setStatus('กำลังส่ง…');
    return post('/send', payload).then(function (result) {
      if (!result.ok) notice('webhook ตอบ ' + result.status, true);
      setStatus('');
      poll();
    }).catch(function (error) {
      setStatus('ส่งไม่สำเร็จ: ' + error.message, true);
    });
  }

  function sendText(text) {
    text = String(text || '');
    if (!text.trim()) return Promise.resolve();
    record({ side: 'user', message: { type: 'text', text: text } });
    return deliver({ text: text });
  }

  function sendPostback(data, displayText, params) {
    if (!data) return Promise.resolve();
    if (displayText) record({ side: 'user', message: { type: 'text', text: displayText } });
    var payload = { postback: data };
    if (params) payload.params = params;
    return deliver(payload);
  }

  function sendEvent(kind) {
    if (kind === 'sticker') record({ side: 'user', message: { type: 'sticker', packageId: '446', stickerId: '1988' } });
    else notice(kind === 'follow' ? 'คุณเพิ่ม ITA Bot เป็นเพื่อนแล้ว' : kind);
    return deliver({ event: kind });
  }

  function poll() {
    if (state.polling) return;
    state.polling = true;
    fetch(API + '/messages?user=' + encodeURIComponent(state.user) + '&since=' + state.since)
      .then(function (response) { return response.json().then(function (data) { return [response.ok, data]; }); })
      .then(function (pair) {
        if (!pair[0]) throw new Error(pair[1].error || 'HTTP error');
        var data = pair[1];
        if (data.epoch && state.epoch && data.epoch !== state.epoch && state.since > 0) {
          // The bot (and its fake LINE API) restarted: record numbers start again from 1.
          state.epoch = data.epoch;
          state.since = 0;
          saveLog();
          return;
        }
        state.epoch = data.epoch || state.epoch;
        (data.items || []).forEach(function (item) {
          if (item.kind === 'message') record({ side: 'bot', message: item.message, time: item.time });
          else if (item.kind === 'loading') showLoading(Number(item.seconds) || 5);
          else if (item.kind === 'rejected') {
            var details = (item.details || []).map(function (d) { return d.property + ': ' + d.message; }).join('; ');
            notice('LINE API ปฏิเสธ ' + item.via + ' (' + item.status + '): ' + item.error + (details ? ' — ' + details : ''), true);
          }
        });
        if (typeof data.last === 'number' && data.last !== state.since) {
          state.since = data.last;
          saveLog();
        }
        if (document.getElementById('status').classList.contains('is-error')) setStatus('');
      })
      .catch(function (error) { setStatus('อ่านข้อความไม่ได้: ' + error.message, true); })
      .then(function () { state.polling = false; });
  }

  // ---------------------------------------------------------------------------------- wiring

  function submitComposer() {
    var input = document.getElementById('input');
    var text = input.value;
    if (!text.trim()) return;
    input.value = '';
    autosize(input);
    sendText(text);
  }

  function autosize(input) {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight, 120) + 'px';
  }

  function registerAs(role, unit) {
    var note = document.getElementById('register-note');
    note.textContent = 'กำลังสร้างรหัส…';
    return post('/invite', { role: role, unit: role === 'staff' ? unit : null }).then(function (invite) {
      note.textContent = 'รหัส ' + invite.code + ' (' + invite.roleName + ', ' + invite.agency + ')';
      document.getElementById('register').hidden = true;
      return sendText('ลงทะเบียน ' + invite.code);
    }).catch(function (error) {
      note.textContent = 'สร้างรหัสไม่ได้: ' + error.message;
    });
  }

  function start() {
    var fresh = false;
    state.user = storageGet(KEY_USER);
    if (!state.user || !/^U[0-9a-f]{32}$/.test(state.user)) {
      state.user = newUserId();
      storageSet(KEY_USER, state.user);
      storageSet(KEY_LOG, '[]');
      storageSet(KEY_SINCE, '0');
      fresh = true;
    }
    try { state.log = JSON.parse(storageGet(KEY_LOG) || '[]') || []; } catch (e) { state.log = []; }
    state.since = parseInt(storageGet(KEY_SINCE) || '0', 10) || 0;
    state.epoch = storageGet(KEY_EPOCH) || null;
    redraw();

    var input = document.getElementById('input');
    document.getElementById('composer').addEventListener('submit', function (event) {
      event.preventDefault();
      submitComposer();
    });
    input.addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        submitComposer();
      }
    });
    input.addEventListener('input', function () { autosize(input); });
    document.getElementById('btn-sticker').addEventListener('click', function () { sendEvent('sticker'); });
    document.getElementById('btn-follow').addEventListener('click', function () { sendEvent('follow'); });
    document.getElementById('btn-reset').addEventListener('click', function () {
      storageSet(KEY_USER, '');
      window.location.reload();
    });
    document.getElementById('btn-register').addEventListener('click', function () {
      var panel = document.getElementById('register');
      panel.hidden = !panel.hidden;
    });
    var role = document.getElementById('register-role');
    role.addEventListener('change', function () {
      document.getElementById('register-unit-label').hidden = role.value !== 'staff';
    });
    document.getElementById('register-form').addEventListener('submit', function (event) {
      event.preventDefault();
      registerAs(role.value, document.getElementById('register-unit').value);
    });

    window.setInterval(poll, POLL_MS);
    if (fresh) sendEvent('follow');
    else poll();
    input.focus();
    document.body.dataset.ready = '1';
  }

  // For tests and the console: the renderer alone, and the current simulated user.
  window.itaSimulator = {
    renderFlex: renderFlex,
    renderMessage: renderMessage,
    user: function () { return state.user; }
  };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
