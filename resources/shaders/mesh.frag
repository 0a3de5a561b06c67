#version 330 core
// One program for every shading mode: a uniform branch costs nothing next to a program switch.
// Built twice: with NORMAL_MAP defined (tangents interpolated) and without.
const int MODE_TEXTURED = 0;
const int MODE_SOLID = 1;
const int MODE_NORMALS = 2;
const int MODE_MATCAP = 3;
const int MODE_WIRE = 4;

in vec3 v_normal;
in vec2 v_uv;
#ifdef NORMAL_MAP
in vec4 v_tangent;
#endif

uniform int u_mode;
uniform mat3 u_view_rotation;
uniform sampler2D u_base_color;  // sRGB texture: samples come back linear
uniform sampler2D u_matcap;      // display-referred, used as it is
uniform sampler2D u_normal_map;  // linear, tangent space, green +Y (OpenGL); NORMAL_MAP variant only
uniform sampler2D u_occlusion;   // linear, R = ambient occlusion
uniform bool u_has_texture;
uniform bool u_use_occlusion;
uniform vec4 u_base_factor;      // linear
uniform vec3 u_wire_color;       // display-referred

out vec4 frag_color;

vec3 to_display(vec3 linear) {
    return pow(clamp(linear, 0.0, 1.0), vec3(1.0 / 2.2));
}

// A key light over the viewer's left shoulder and a sky/ground fill: reads shape from any angle.
// Ambient occlusion darkens the fill only, as glTF prescribes (it stands for indirect light).
vec3 lighting(vec3 n_world, vec3 n_view) {
    vec3 key_dir = normalize(vec3(-0.35, 0.55, 0.75));
    float key = max(dot(n_view, key_dir), 0.0);
    vec3 fill = mix(vec3(0.16, 0.15, 0.14), vec3(0.32, 0.34, 0.38), n_world.y * 0.5 + 0.5);
    if (u_use_occlusion) {
        fill *= texture(u_occlusion, v_uv).r;
    }
    return fill + vec3(0.85) * key;
}

// The shading normal: the interpolated normal, bent by the normal map in MikkTSpace's basis as
// its reference shader rebuilds it (tangent and normal interpolated and not renormalised,
// bitangent = sign * cross(normal, tangent)), the basis the map was baked in.
vec3 shading_normal() {
    vec3 n = v_normal;
#ifdef NORMAL_MAP
    vec3 t = v_tangent.xyz;
    vec3 b = (v_tangent.w < 0.0 ? -1.0 : 1.0) * cross(n, t);
    vec3 c = texture(u_normal_map, v_uv).rgb * 2.0 - 1.0;
    n = c.x * t + c.y * b + c.z * n;
#endif
    return normalize(n);
}

void main() {
    if (u_mode == MODE_WIRE) {
        frag_color = vec4(u_wire_color, 1.0);
        return;
    }
    vec3 n_world = shading_normal();
    if (!gl_FrontFacing) {
        n_world = -n_world;
    }
    vec3 n_view = u_view_rotation * n_world;
    if (u_mode == MODE_NORMALS) {
        frag_color = vec4(n_world * 0.5 + 0.5, 1.0);
    } else if (u_mode == MODE_MATCAP) {
        frag_color = vec4(texture(u_matcap, n_view.xy * 0.49 + 0.5).rgb, 1.0);
    } else {
        vec3 albedo = u_base_factor.rgb;
        if (u_mode == MODE_TEXTURED && u_has_texture) {
            albedo *= texture(u_base_color, v_uv).rgb;
        } else if (u_mode == MODE_SOLID) {
            albedo = vec3(0.62);
        }
        frag_color = vec4(to_display(albedo * lighting(n_world, n_view)), 1.0);
    }
}
