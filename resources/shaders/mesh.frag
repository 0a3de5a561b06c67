#version 330 core
// Built once per shading mode and feature set, the renderer setting the defines: exactly one of
// MODE_TEXTURED, MODE_SOLID, MODE_NORMALS, MODE_MATCAP, MODE_WIRE; HAS_TEXTURE (base colour
// texture), USE_OCCLUSION (occlusion map), NORMAL_MAP (normal map, tangents interpolated),
// DOUBLE_SIDED (back faces drawn, shaded with the normal turned towards the viewer).
// Not one program branching on uniforms: a software rasterizer (llvmpipe) runs both sides of a
// branch for every fragment, and on a million tiny triangles it shades ~60 fragments per visible
// pixel, so each texture read or mode a frame does not show costs real time.
#if defined(MODE_TEXTURED) || defined(MODE_SOLID)
#define LIT
#endif

in vec3 v_normal;
in vec2 v_uv;
#ifdef NORMAL_MAP
in vec4 v_tangent;
#endif

uniform mat3 u_view_rotation;
uniform vec3 u_key_dir;          // world space: the key light, turned with the camera
uniform sampler2D u_base_color;  // sRGB texture: samples come back linear
uniform sampler2D u_matcap;      // display-referred, used as it is
uniform sampler2D u_normal_map;  // linear, tangent space, green +Y (OpenGL)
uniform sampler2D u_occlusion;   // linear, R = ambient occlusion
uniform vec4 u_base_factor;      // linear
uniform vec3 u_wire_color;       // display-referred

out vec4 frag_color;

// pow(linear, 1 / 2.2) within 0.11 of an 8-bit level over [0, 1] (a fit in q = linear^(1/4)): two
// square roots and four multiply-adds where pow is a log2 and an exp2, each a long polynomial on a
// software rasterizer.
vec3 to_display(vec3 linear) {
    vec3 q = sqrt(sqrt(clamp(linear, 0.0, 1.0)));
    return q * (0.033353 + q * (1.241567 + q * (-0.41607 + q * 0.141579)));
}

// A key light over the viewer's left shoulder (its direction comes in world space, so no normal
// is turned into view space per fragment) and a sky/ground fill: reads shape from any angle.
// Ambient occlusion darkens the fill only, as glTF prescribes (it stands for indirect light).
vec3 lighting(vec3 n_world) {
    float key = max(dot(n_world, u_key_dir), 0.0);
    vec3 fill = mix(vec3(0.16, 0.15, 0.14), vec3(0.32, 0.34, 0.38), n_world.y * 0.5 + 0.5);
#ifdef USE_OCCLUSION
    fill *= texture(u_occlusion, v_uv).r;
#endif
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
#ifdef MODE_WIRE
    frag_color = vec4(u_wire_color, 1.0);
#else
    vec3 n_world = shading_normal();
#ifdef DOUBLE_SIDED
    if (!gl_FrontFacing) {
        n_world = -n_world;
    }
#endif
#if defined(MODE_NORMALS)
    frag_color = vec4(n_world * 0.5 + 0.5, 1.0);
#elif defined(MODE_MATCAP)
    vec3 n_view = u_view_rotation * n_world;
    frag_color = vec4(texture(u_matcap, n_view.xy * 0.49 + 0.5).rgb, 1.0);
#elif defined(MODE_SOLID)
    frag_color = vec4(to_display(vec3(0.62) * lighting(n_world)), 1.0);
#else
    vec3 albedo = u_base_factor.rgb;
#ifdef HAS_TEXTURE
    albedo *= texture(u_base_color, v_uv).rgb;
#endif
    frag_color = vec4(to_display(albedo * lighting(n_world)), 1.0);
#endif
#endif
}
